import { Elysia } from "elysia";
import { currentObservation } from "../observability/request-observation.ts";
import { readJsonBody } from "../shared/read-json-body.ts";
import type { ServerContext } from "../shared/server-context.ts";
import { embeddingsDisabled, handleEmbeddings } from "./embedding-handler.ts";
import { EmbeddingRequestSchema } from "./embedding-schema.ts";

export function embeddingRoute(ctx: ServerContext) {
  return new Elysia().post(
    "/v1/embeddings",
    async ({ request }) => {
      if (!ctx.settings.enableEmbeddings) throw embeddingsDisabled();
      const res = await handleEmbeddings(ctx, await readJsonBody(request, EmbeddingRequestSchema, ctx.settings.maxBodyBytes));
      currentObservation()?.noteUsage(res.usage.prompt_tokens);
      return res;
    },
    { parse: "none" },
  );
}
