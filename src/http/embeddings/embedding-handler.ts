import { l2Normalize, type EmbeddingModel } from "../../engine/embeddings/embedding-model.ts";
import { ApiError, invalidRequest } from "../shared/api-error.ts";
import { embeddingModel, type ServerContext } from "../shared/server-context.ts";
import type { EmbeddingRequest, EmbeddingResponse } from "./embedding-schema.ts";

/** The seed's refusal when no embeddings backend is enabled, kept as a structured 501. */
export function embeddingsDisabled(): ApiError {
  return new ApiError({
    status: 501,
    type: "not_implemented_error",
    code: "embeddings_backend_unavailable",
    message:
      "The embeddings backend is disabled on this server. Start it with ENABLE_EMBEDDINGS_BACKEND=true (or --enable-embeddings-backend) and register a model with task: embeddings.",
  });
}

/** POST /v1/embeddings: tokenize, embed in batches, pool/normalise, truncate to `dimensions`, encode. */
export async function handleEmbeddings(ctx: ServerContext, body: EmbeddingRequest): Promise<EmbeddingResponse> {
  const model = await embeddingModel(ctx, body.model);
  const inputs = toInputs(ctx, model, body.input);
  if (body.dimensions != null && body.dimensions > model.dimensions) {
    throw invalidRequest(`'dimensions' (${body.dimensions}) is larger than model '${body.model}'s ${model.dimensions} dimensions.`, "dimensions");
  }
  const vectors = await model.embed(inputs);
  const base64 = body.encoding_format === "base64";
  const promptTokens = inputs.reduce((sum, ids) => sum + ids.length, 0);
  return {
    object: "list",
    data: vectors.map((v, index) => {
      let out = v;
      if (body.dimensions != null && body.dimensions < v.length) {
        out = v.slice(0, body.dimensions);
        if (model.spec.normalize) l2Normalize(out);
      }
      return { object: "embedding", index, embedding: base64 ? Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString("base64") : Array.from(out) };
    }),
    model: body.model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

function toInputs(ctx: ServerContext, model: EmbeddingModel, input: EmbeddingRequest["input"]): number[][] {
  let list: (string | number[])[];
  if (typeof input === "string") list = [input];
  else if (input.length === 0) throw invalidRequest("'input' must not be an empty array.", "input");
  else if (typeof input[0] === "number") list = [input as number[]];
  else list = input as (string | number[])[];
  const max = ctx.settings.maxEmbeddingInputs;
  if (list.length > max) throw invalidRequest(`At most ${max} inputs per request (MAX_EMBEDDING_INPUTS), got ${list.length}.`, "input");
  const vocab = model.tokenizer.vocabSize;
  return list.map((item, i) => {
    const param = typeof input === "string" || (list.length === 1 && typeof input[0] === "number") ? "input" : `input[${i}]`;
    let ids: number[];
    if (typeof item === "string") {
      if (item === "") throw invalidRequest(`${param} is an empty string.`, param);
      ids = model.encode(item);
    } else {
      if (item.length === 0) throw invalidRequest(`${param} is an empty token list.`, param);
      item.forEach((id, j) => {
        if (!Number.isSafeInteger(id) || id < 0 || id >= vocab) throw invalidRequest(`Token id ${id} at ${param}[${j}] is outside the vocabulary (0..${vocab - 1}).`, param, "invalid_token_id");
      });
      ids = item;
    }
    if (ids.length > model.contextLength) {
      throw new ApiError({ status: 400, type: "invalid_request_error", code: "context_length_exceeded", param, message: `${param} has ${ids.length} tokens; model '${model.spec.id}' accepts at most ${model.contextLength}.` });
    }
    return ids;
  });
}
