import type { EngineError } from "../engine-errors.ts";
import type { TextTokenizer } from "../tokenizer/text-tokenizer.ts";
import { IncrementalDetokenizer } from "../tokenizer/incremental-detokenizer.ts";
import { logSoftmax, logSumExp, topK } from "./logprobs.ts";
import { Rng } from "./rng.ts";
import { Sampler } from "./sampler.ts";
import { StopMatcher } from "./stop-matcher.ts";
import type { TokenConstraint } from "./token-constraint.ts";
import { sequenceCount, type FinishReason, type GeneratedToken, type GenerationEvent, type GenerationRequest } from "./generation-types.ts";

/** What a sequence needs from its model to turn logits into events. */
export interface SequenceModel {
  tokenizer: TextTokenizer;
  vocab: number;
  contextLength: number;
  /** EOS and end-of-turn ids that end a sequence. */
  stopTokenIds: ReadonlySet<number>;
}

/** Where a sequence reports to: its group. */
export interface SequenceSink {
  emit: (event: GenerationEvent) => void;
  /** End the whole request with an error (a failed forward pass or constraint). */
  fail: (error: EngineError) => void;
  /** This sequence left without a finish event (its client went away). */
  dropped: () => void;
}

/**
 * One choice of one prompt: its sampler and RNG, constraint, detokenizer, stop matcher and counts. It turns one
 * row of logits into a token and events; the batch loop owns where its KV cache lives. Every way a sequence
 * ends (finish, drop, failure) goes through `close()`, which releases its constraint exactly once.
 */
export class Sequence {
  readonly outputIds: number[] = [];
  /** Tokens in this sequence's KV cache. */
  kvLen: number;
  /** Sampled but not yet fed to the model. */
  pending = -1;
  cumulativeLogprob = 0;
  private ended = false;
  private readonly sampler: Sampler;
  private readonly detok: IncrementalDetokenizer;
  private readonly stop: StopMatcher;
  private readonly scratch: Float32Array;
  /** Keep the cumulative logprob without logprobs: best_of ranks by it. */
  private readonly scored: boolean;

  constructor(
    readonly index: number,
    readonly request: GenerationRequest,
    private readonly model: SequenceModel,
    private readonly sink: SequenceSink,
    private readonly constraint: TokenConstraint | null,
  ) {
    const seed = request.sampling.seed === null ? Math.floor(Math.random() * 2 ** 52) : request.sampling.seed + index;
    this.sampler = new Sampler({ params: request.sampling, rng: new Rng(seed), vocab: model.vocab, promptIds: request.promptIds });
    this.detok = new IncrementalDetokenizer(model.tokenizer, request.promptIds);
    this.stop = new StopMatcher(request.stop);
    this.kvLen = request.promptIds.length;
    this.scratch = new Float32Array(request.logprobs !== null && request.logprobs > 0 ? model.vocab : 0);
    this.scored = sequenceCount(request) > request.n;
  }

  get cancelled(): boolean {
    return this.request.signal.aborted;
  }

  /** No more steps: finished, dropped or failed. */
  get finished(): boolean {
    return this.ended;
  }

  get constrained(): boolean {
    return this.constraint !== null;
  }

  /** The tokens allowed at the next step (null: any); asked before the forward pass whose logits it applies to. */
  nextMask(): Uint32Array | null | Promise<Uint32Array | null> {
    return this.constraint === null ? null : this.constraint.nextMask();
  }

  /** Pick the next token from `logits[offset .. offset+vocab)` (within `mask`) and emit what it adds. */
  step(logits: Float32Array, offset: number, mask: Uint32Array | null): void {
    const r = this.request;
    const id = this.sampler.sample(logits, offset, mask);
    const token: GeneratedToken = { id, logprob: null, top: [] };
    if (r.logprobs !== null && r.logprobs > 0) {
      const lp = logSoftmax(logits, offset, this.model.vocab, this.scratch);
      token.logprob = lp[id]!;
      token.top = topK(lp, r.logprobs);
      this.cumulativeLogprob += token.logprob;
    } else if (r.logprobs !== null || this.scored) {
      // Only the chosen token's log-probability: no log-softmax of the whole row. fround: as a Float32Array
      // row would have stored it, so it is the same value either way.
      const logprob = Math.fround(logits[offset + id]! - logSumExp(logits, offset, this.model.vocab));
      this.cumulativeLogprob += logprob;
      if (r.logprobs !== null) token.logprob = logprob;
    }
    this.constraint?.accept(id);
    this.outputIds.push(id);
    this.sampler.accept(id);
    this.pending = id;

    let reason: FinishReason | null = null;
    let text = "";
    if (!r.ignoreEos && this.model.stopTokenIds.has(id)) {
      reason = "stop";
      text = this.release();
    } else {
      const out = this.stop.push(this.detok.push(id));
      text = out.release;
      if (out.stopped) reason = "stop";
      else if (this.outputIds.length >= r.maxTokens || this.kvLen + 1 >= this.model.contextLength) {
        reason = "length";
        text += this.release();
      }
    }
    this.sink.emit({ type: "delta", index: this.index, text, tokens: [token] });
    if (reason !== null) this.finish(reason);
  }

  /** At the end, text still held back (an incomplete character, a partial stop string) is real output. */
  private release(): string {
    const tail = this.stop.push(this.detok.flush());
    return tail.stopped ? tail.release : tail.release + this.stop.flush();
  }

  /** The request failed here: end this sequence and, through its group, every other one of the request. */
  failWith(error: EngineError): void {
    this.close();
    this.sink.fail(error);
  }

  /** The client went away: leave silently, so the request's event stream still ends once every sequence is gone. */
  drop(): void {
    if (this.ended) return;
    this.close();
    this.sink.dropped();
  }

  finish(reason: FinishReason): void {
    if (this.ended) return;
    this.close();
    this.sink.emit({ type: "finish", index: this.index, reason, completionTokens: this.outputIds.length });
  }

  /** Ends this sequence without an event (its group reports for it) and releases its constraint, once. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    try {
      this.constraint?.dispose();
    } catch {
      // A constraint that fails to clean up must not take the batch down; nothing else holds it.
    }
  }
}
