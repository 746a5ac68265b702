import { Elysia } from "elysia";
import { readJsonBody } from "../shared/read-json-body.ts";
import type { ServerContext } from "../shared/server-context.ts";
import { handleCompletion } from "./completion-handler.ts";
import { CompletionRequestSchema } from "./completion-schema.ts";

export function completionRoute(ctx: ServerContext) {
  return new Elysia().post(
    "/v1/completions",
    async ({ request }) => handleCompletion(ctx, await readJsonBody(request, CompletionRequestSchema, ctx.settings.maxBodyBytes), request.signal),
    { parse: "none" },
  );
}
