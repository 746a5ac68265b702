import type { Settings } from "../../config/settings-spec.ts";
import type { SamplingParams } from "../../engine/generation/sampling-params.ts";
import type { TextModel } from "../../engine/text-model.ts";
import { ApiError, invalidRequest } from "./api-error.ts";

/** The sampling fields both generation routes share. */
export interface SamplingFieldsInput {
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  min_p?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  repetition_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  seed?: number | null;
}

const MAX_LOGIT_BIAS = 1024;
/** OpenAI's limit. */
const MAX_STOPS = 4;
const MAX_STOP_LENGTH = 512;

export function samplingParams(body: SamplingFieldsInput, model: TextModel): SamplingParams {
  const bias = new Map<number, number>();
  const entries = Object.entries(body.logit_bias ?? {});
  if (entries.length > MAX_LOGIT_BIAS) throw invalidRequest(`'logit_bias' may have at most ${MAX_LOGIT_BIAS} entries, got ${entries.length}.`, "logit_bias");
  for (const [key, value] of entries) {
    const id = /^\d+$/.test(key) ? Number(key) : NaN;
    if (!Number.isSafeInteger(id) || id >= model.vocab) {
      throw invalidRequest(`'logit_bias' key '${key.slice(0, 40)}' is not a token id of model '${model.spec.id}' (0..${model.vocab - 1}).`, "logit_bias");
    }
    bias.set(id, value);
  }
  return {
    temperature: body.temperature ?? 1,
    topP: body.top_p ?? 1,
    topK: body.top_k && body.top_k > 0 ? body.top_k : 0,
    minP: body.min_p ?? 0,
    presencePenalty: body.presence_penalty ?? 0,
    frequencyPenalty: body.frequency_penalty ?? 0,
    repetitionPenalty: body.repetition_penalty ?? 1,
    logitBias: bias,
    seed: body.seed ?? null,
  };
}

export function stopStrings(stop: string | string[] | null | undefined): string[] {
  const list = stop === null || stop === undefined ? [] : typeof stop === "string" ? [stop] : stop;
  if (list.length > MAX_STOPS) throw invalidRequest(`'stop' may have at most ${MAX_STOPS} sequences, got ${list.length}.`, "stop");
  list.forEach((s, i) => {
    if (s.length > MAX_STOP_LENGTH) throw invalidRequest(`'stop' sequences may be at most ${MAX_STOP_LENGTH} characters; stop[${i}] has ${s.length}.`, typeof stop === "string" ? "stop" : `stop[${i}]`);
  });
  return list.filter((s) => s.length > 0);
}

export function checkN(n: number, param: string, settings: Settings): void {
  if (n > settings.maxN) throw invalidRequest(`'${param}' may be at most ${settings.maxN} on this server (MAX_N), got ${n}.`, param);
}

/** A request's sequences (n, or best_of) must fit the model's batch, or it could never start. */
export function checkSequencesFit(model: TextModel, sequences: number, param: "n" | "best_of"): void {
  const limit = model.scheduler.maxSequences;
  if (sequences > limit) {
    throw invalidRequest(
      `'${param}' may be at most ${limit} for model '${model.spec.id}', the most sequences it decodes together (${model.scheduler.limitSource}); got ${sequences}.`,
      param,
    );
  }
}

/** Prompt plus requested tokens must fit the context: no silent truncation. */
export function checkContext(model: TextModel, promptTokens: number, maxTokens: number, param: string): void {
  if (promptTokens + maxTokens > model.contextLength) {
    throw new ApiError({
      status: 400,
      type: "invalid_request_error",
      code: "context_length_exceeded",
      param,
      message:
        `This model's maximum context length is ${model.contextLength} tokens. However, you requested ${promptTokens + maxTokens} tokens ` +
        `(${promptTokens} in the prompt, ${maxTokens} for the completion). Please reduce the prompt or the completion length.`,
    });
  }
}

/** Token ids a client sent must exist in the model's vocabulary. */
export function checkTokenIds(ids: number[], model: TextModel, param: string): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isSafeInteger(id) || id < 0 || id >= model.vocab) {
      throw invalidRequest(`Token id ${id} at ${param}[${i}] is outside the vocabulary of model '${model.spec.id}' (0..${model.vocab - 1}).`, param, "invalid_token_id");
    }
  }
}
