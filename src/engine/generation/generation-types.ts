import type { EngineError } from "../engine-errors.ts";
import type { TopLogprob } from "./logprobs.ts";
import type { SamplingParams } from "./sampling-params.ts";
import type { TokenConstraint } from "./token-constraint.ts";

/** What the HTTP layer asks of the engine for one prompt: sequences that share its prefill. */
export interface GenerationRequest {
  promptIds: number[];
  /** Sequences returned (choices). */
  n: number;
  /**
   * Sequences generated, at least `n` (default `n`). With more, the group holds every event back and, once all
   * have finished, releases the `n` with the highest mean token logprob, re-indexed 0..n-1 in rank order; the
   * others' tokens are reported by one `discarded` event (they count in usage). Such a request is never streamed.
   */
  bestOf?: number;
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
  signal: AbortSignal;
  /**
   * Which tokens each sequence may take (structured output): called once per sequence index (0..bestOf-1) when
   * the request is accepted; the engine asks the constraint for a mask before each forward pass, tells it the
   * token taken, and disposes it exactly once however the sequence ends. Null or absent: unconstrained.
   */
  constraints?: ((sequenceIndex: number) => TokenConstraint) | null;
}

export interface GeneratedToken {
  id: number;
  /** log-softmax of the raw logits (null when logprobs were not asked for). */
  logprob: number | null;
  top: TopLogprob[];
}

/** Why a sequence ended (the wire's finish_reason is derived from it in src/http/shared/finish-reason.ts). */
export type FinishReason = "stop" | "length";

export type GenerationEvent =
  | { type: "prompt"; promptTokens: number; logprobs: (GeneratedToken | null)[] | null }
  | { type: "delta"; index: number; text: string; tokens: GeneratedToken[] }
  | { type: "finish"; index: number; reason: FinishReason; completionTokens: number }
  /** best_of candidates that were generated but not returned: their tokens still count in usage. */
  | { type: "discarded"; completionTokens: number }
  | { type: "error"; error: EngineError };

/** Sequences a request runs: `bestOf` when given, else `n`. */
export function sequenceCount(request: Pick<GenerationRequest, "n" | "bestOf">): number {
  return request.bestOf ?? request.n;
}
