import type { Settings } from "../../config/settings-spec.ts";
import type { EmbeddingModel } from "../../engine/embeddings/embedding-model.ts";
import type { LoadedModel, ModelPool } from "../../engine/model-pool.ts";
import type { TextModel } from "../../engine/text-model.ts";
import type { ModelTask } from "../../registry/registry-entry.ts";
import { invalidRequest } from "./api-error.ts";

/** What every route needs: the settings and the model pool. */
export interface ServerContext {
  settings: Settings;
  pool: ModelPool;
}

export function textModel(ctx: ServerContext, id: string, route: string): Promise<TextModel> {
  return modelFor(ctx, id, "text-generation", `Model '${id}' is an embeddings model (task: embeddings); it cannot serve ${route}. Use /v1/embeddings.`);
}

export function embeddingModel(ctx: ServerContext, id: string): Promise<EmbeddingModel> {
  return modelFor(ctx, id, "embeddings", `Model '${id}' is a text-generation model; it cannot serve /v1/embeddings. Use an entry with task: embeddings.`);
}

/**
 * The model for a route that serves one task. The entry's task is checked before loading (no load, and no load
 * failure, for a request that is refused anyway); the pool builds each entry as its task says, so what it loads
 * is then that kind of model.
 */
async function modelFor<K extends ModelTask>(ctx: ServerContext, id: string, task: K, wrongTask: string): Promise<Extract<LoadedModel, { kind: K }>> {
  const spec = ctx.pool.spec(id);
  if (spec && spec.task !== task) throw invalidRequest(wrongTask, "model", "wrong_model_task");
  return (await ctx.pool.get(id)) as Extract<LoadedModel, { kind: K }>;
}
