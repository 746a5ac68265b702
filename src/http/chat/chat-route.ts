import { Elysia } from "elysia";
import { readJsonBody } from "../shared/read-json-body.ts";
import type { ServerContext } from "../shared/server-context.ts";
import { handleChat } from "./chat-handler.ts";
import { ChatRequestSchema } from "./chat-schema.ts";

export function chatRoute(ctx: ServerContext) {
  return new Elysia().post(
    "/v1/chat/completions",
    async ({ request }) => handleChat(ctx, await readJsonBody(request, ChatRequestSchema, ctx.settings.maxBodyBytes), request.signal),
    { parse: "none" },
  );
}
