import { Elysia } from "elysia";
import { readJsonBody } from "../shared/read-json-body.ts";
import type { ServerContext } from "../shared/server-context.ts";
import { handleDetokenize, handleTokenize } from "./tokenize-handler.ts";
import { DetokenizeRequestSchema, TokenizeRequestSchema } from "./tokenize-schema.ts";

/** vLLM-style /tokenize and /detokenize (outside /v1, as vLLM and llama-server serve them). */
export function tokenizeRoutes(ctx: ServerContext) {
  const max = ctx.settings.maxBodyBytes;
  return new Elysia()
    .post("/tokenize", async ({ request }) => handleTokenize(ctx, await readJsonBody(request, TokenizeRequestSchema, max)), { parse: "none" })
    .post("/detokenize", async ({ request }) => handleDetokenize(ctx, await readJsonBody(request, DetokenizeRequestSchema, max)), { parse: "none" });
}
