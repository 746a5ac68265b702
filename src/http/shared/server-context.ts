import type { Settings } from "../../config/settings-spec.ts";
import type { ModelPool } from "../../engine/model-pool.ts";
import type { TextModel } from "../../engine/text-model.ts";
import type { EmbeddingModel } from "../../engine/embeddings/embedding-model.ts";
import { invalidRequest } from "./api-error.ts";

/** What every route needs: the settings and the model pool. */
export interface ServerContext {
  settings: Settings;
  pool: ModelPool;
}

export async function textModel(ctx: ServerContext, id: string, route: string): Promise<TextModel> {
  const spec = ctx.pool.spec(id);
  if (spec && spec.task === "embeddings") {
    throw invalidRequest(`Model '${id}' is an embeddings model (task: embeddings); it cannot serve ${route}. Use /v1/embeddings.`, "model", "wrong_model_task");
  }
  const model = await ctx.pool.get(id);
  if (model.kind !== "text-generation") {
    throw invalidRequest(`Model '${id}' is an embeddings model (task: embeddings); it cannot serve ${route}. Use /v1/embeddings.`, "model", "wrong_model_task");
  }
  return model;
}

export async function embeddingModel(ctx: ServerContext, id: string): Promise<EmbeddingModel> {
  const spec = ctx.pool.spec(id);
  if (spec && spec.task !== "embeddings") {
    throw invalidRequest(`Model '${id}' is a text-generation model; it cannot serve /v1/embeddings. Use an entry with task: embeddings.`, "model", "wrong_model_task");
  }
  const model = await ctx.pool.get(id);
  if (model.kind !== "embeddings") throw invalidRequest(`Model '${id}' is not an embeddings model.`, "model", "wrong_model_task");
  return model;
}
