import type { EngineError } from "../engine-errors.ts";
import type { TopLogprob } from "./logprobs.ts";
import type { SamplingParams } from "./sampling-params.ts";

/** What the HTTP layer asks of the engine for one prompt: `n` sequences that share its prefill. */
export interface GenerationRequest {
  promptIds: number[];
  n: number;
  /** Tokens to generate per sequence; 0 only scores the prompt. */
  maxTokens: number;
  sampling: SamplingParams;
  stop: string[];
  /** Generate past EOS and end-of-turn tokens. */
  ignoreEos: boolean;
  /** Top alternatives per generated token; null = no logprobs. */
  logprobs: number | null;
  /** Top alternatives per prompt token (echo + logprobs); null = none. */
  promptLogprobs: number | null;
  /** Keep each sequence's cumulative logprob even without logprobs (best_of ranks by it). */
  scoreSequences: boolean;
  signal: AbortSignal;
}

export interface GeneratedToken {
  id: number;
  /** log-softmax of the raw logits (null when logprobs were not asked for). */
  logprob: number | null;
  top: TopLogprob[];
}

export type FinishReason = "stop" | "length";

export type GenerationEvent =
  | { type: "prompt"; promptTokens: number; logprobs: (GeneratedToken | null)[] | null }
  | { type: "delta"; index: number; text: string; tokens: GeneratedToken[] }
  | { type: "finish"; index: number; reason: FinishReason; completionTokens: number; cumulativeLogprob: number }
  | { type: "error"; error: EngineError };
