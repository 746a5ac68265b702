import type { EngineError } from "../engine-errors.ts";
import type { KvCache } from "../runtime/kv-cache.ts";
import type { EventQueue } from "./event-queue.ts";
import type { GenerationEvent, GenerationRequest } from "./generation-types.ts";
import { Sequence, type SequenceContext } from "./sequence.ts";

/**
 * One request's prompt and the `n` sequences that share its prefill. The prompt is prefilled in chunks
 * (so a long prompt does not stall running streams); then every sequence samples its first token from the
 * last position's logits and joins the batch.
 */
export class SequenceGroup {
  readonly sequences: Sequence[];
  /** Prompt tokens already in `cache`. */
  prefilled = 0;
  cache: KvCache | null = null;
  /** Prompt-token logprobs gathered chunk by chunk (echo + logprobs). */
  readonly promptLogprobs: ({ id: number; logprob: number; top: { id: number; logprob: number }[] } | null)[] = [];
  /** Last position's logits of the previous chunk, to score the first token of the next chunk. */
  carryLogits: Float32Array | null = null;
  private openSequences: number;

  constructor(
    readonly request: GenerationRequest,
    ctx: Omit<SequenceContext, "emit" | "fail" | "dropped">,
    readonly events: EventQueue<GenerationEvent>,
  ) {
    this.openSequences = request.n;
    const leave = () => {
      if (--this.openSequences === 0) events.close();
    };
    const emit = (e: GenerationEvent) => {
      events.push(e);
      if (e.type === "finish") leave();
    };
    this.sequences = Array.from({ length: request.n }, (_, i) => new Sequence(i, request, { ...ctx, emit, fail: (e) => this.fail(e), dropped: leave }));
  }

  get cancelled(): boolean {
    return this.request.signal.aborted;
  }

  /** Ends the whole request with an error event (the HTTP layer formats it). */
  fail(error: EngineError): void {
    if (this.events.closed) return;
    for (const s of this.sequences) s.finished = true;
    this.events.push({ type: "error", error });
    this.events.close();
  }

  /** A cancelled request ends silently: nobody is listening. */
  abandon(): void {
    for (const s of this.sequences) s.finished = true;
    this.events.close();
  }
}
