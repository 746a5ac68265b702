import { asGenerationError, type EngineError } from "../engine-errors.ts";
import type { EventQueue } from "./event-queue.ts";
import { sequenceCount, type GeneratedToken, type GenerationEvent, type GenerationRequest } from "./generation-types.ts";
import { Sequence, type SequenceModel } from "./sequence.ts";
import type { TokenConstraint } from "./token-constraint.ts";

/**
 * One request's prompt and the sequences that share its prefill. The prompt is prefilled in chunks (so a long
 * prompt does not stall running streams); then every sequence samples its first token from the last position's
 * logits and joins the batch. With best_of (more sequences than choices) the group holds its sequences' events
 * back and releases the best `n`, re-indexed, when all have finished.
 */
export class SequenceGroup {
  readonly sequences: Sequence[];
  /** Prompt tokens already prefilled. */
  prefilled = 0;
  /** Prompt-token logprobs gathered chunk by chunk (echo + logprobs). */
  readonly promptLogprobs: (GeneratedToken | null)[] = [];
  /** Last position's logits of the previous chunk, to score the first token of the next chunk. */
  carryLogits: Float32Array | null = null;
  private open: number;
  /** Each sequence's delta and finish events, held back for ranking (best_of > n), else null. */
  private readonly held: SequenceEvent[][] | null;

  constructor(
    readonly request: GenerationRequest,
    model: SequenceModel,
    readonly events: EventQueue<GenerationEvent>,
  ) {
    const count = sequenceCount(request);
    this.open = count;
    this.held = count > request.n ? Array.from({ length: count }, () => []) : null;
    const sink = {
      emit: (e: GenerationEvent) => this.emit(e),
      fail: (e: EngineError) => this.fail(e),
      dropped: () => this.leave(),
    };
    const constraints = startConstraints(request, count);
    this.sequences = constraints.map((c, i) => new Sequence(i, request, model, sink, c));
  }

  /** How many sequences this group runs (and needs batch rows for). */
  get size(): number {
    return this.sequences.length;
  }

  get cancelled(): boolean {
    return this.request.signal.aborted;
  }

  /** Ends the whole request with an error event (the HTTP layer formats it). */
  fail(error: EngineError): void {
    for (const s of this.sequences) s.close();
    if (this.events.closed) return;
    this.events.push({ type: "error", error });
    this.events.close();
  }

  /** A cancelled request ends silently: nobody is listening. */
  abandon(): void {
    for (const s of this.sequences) s.close();
    this.events.close();
  }

  private emit(e: GenerationEvent): void {
    if (this.held && (e.type === "delta" || e.type === "finish")) this.held[e.index]!.push(e);
    else this.events.push(e);
    if (e.type === "finish") this.leave();
  }

  private leave(): void {
    if (--this.open > 0) return;
    if (this.held && !this.cancelled) this.releaseBest(this.held);
    this.events.close();
  }

  /** best_of: the `n` sequences with the highest mean token logprob, in rank order (ties: lower index first). */
  private releaseBest(held: SequenceEvent[][]): void {
    const mean = (s: Sequence) => s.cumulativeLogprob / Math.max(1, s.outputIds.length);
    const ranked = this.sequences.filter((s) => held[s.index]!.some((e) => e.type === "finish")).sort((a, b) => mean(b) - mean(a) || a.index - b.index);
    ranked.slice(0, this.request.n).forEach((s, rank) => {
      for (const e of held[s.index]!) this.events.push({ ...e, index: rank });
    });
    const discarded = ranked.slice(this.request.n).reduce((sum, s) => sum + s.outputIds.length, 0);
    if (discarded > 0) this.events.push({ type: "discarded", completionTokens: discarded });
  }
}

/** The events that belong to one sequence (and carry its index). */
type SequenceEvent = Extract<GenerationEvent, { type: "delta" | "finish" }>;

/** One constraint per sequence; if one cannot start, those already made are released and the request fails. */
function startConstraints(request: GenerationRequest, count: number): (TokenConstraint | null)[] {
  const factory = request.constraints;
  if (!factory) return new Array<TokenConstraint | null>(count).fill(null);
  const made: TokenConstraint[] = [];
  try {
    for (let i = 0; i < count; i++) made.push(factory(i));
    return made;
  } catch (err) {
    for (const c of made) {
      try {
        c.dispose();
      } catch {
        // already failing: the first error is the one to report
      }
    }
    throw asGenerationError(err);
  }
}
