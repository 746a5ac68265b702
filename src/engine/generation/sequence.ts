import type { EngineError } from "../engine-errors.ts";
import type { TextTokenizer } from "../tokenizer/text-tokenizer.ts";
import { IncrementalDetokenizer } from "../tokenizer/incremental-detokenizer.ts";
import { logSoftmax, logSumExp, topK } from "./logprobs.ts";
import { Rng } from "./rng.ts";
import { Sampler } from "./sampler.ts";
import { StopMatcher } from "./stop-matcher.ts";
import type { FinishReason, GeneratedToken, GenerationEvent, GenerationRequest } from "./generation-types.ts";

/** What a sequence needs from its model to turn logits into events. */
export interface SequenceContext {
  tokenizer: TextTokenizer;
  vocab: number;
  contextLength: number;
  /** EOS and end-of-turn ids that end a sequence. */
  stopTokenIds: ReadonlySet<number>;
  emit: (event: GenerationEvent) => void;
  /** End the whole request with an error (a failed forward pass). */
  fail: (error: EngineError) => void;
  /** This sequence left without a finish event (its client went away). */
  dropped: () => void;
}

const NO_SUPPRESS: ReadonlySet<number> = new Set();

/**
 * One choice of one prompt: its sampler and RNG, detokenizer, stop matcher and counts. It turns one row of
 * logits into a token and events; the batch loop owns where its KV cache lives.
 */
export class Sequence {
  readonly outputIds: number[] = [];
  /** Tokens in this sequence's KV cache. */
  kvLen: number;
  /** Sampled but not yet fed to the model. */
  pending = -1;
  finished = false;
  cumulativeLogprob = 0;
  private readonly sampler: Sampler;
  private readonly detok: IncrementalDetokenizer;
  private readonly stop: StopMatcher;
  private readonly scratch: Float32Array;

  constructor(
    readonly index: number,
    readonly request: GenerationRequest,
    private readonly ctx: SequenceContext,
  ) {
    const seed = request.sampling.seed === null ? Math.floor(Math.random() * 2 ** 52) : request.sampling.seed + index;
    this.sampler = new Sampler(request.sampling, new Rng(seed), ctx.vocab, request.promptIds);
    this.detok = new IncrementalDetokenizer(ctx.tokenizer, request.promptIds);
    this.stop = new StopMatcher(request.stop);
    this.kvLen = request.promptIds.length;
    this.scratch = new Float32Array(request.logprobs !== null && request.logprobs > 0 ? ctx.vocab : 0);
  }

  get cancelled(): boolean {
    return this.request.signal.aborted;
  }

  /** Pick the next token from `logits[offset .. offset+vocab)` and emit what it adds. */
  step(logits: Float32Array, offset: number): void {
    const r = this.request;
    const id = this.sampler.sample(logits, offset, NO_SUPPRESS);
    const token: GeneratedToken = { id, logprob: null, top: [] };
    if (r.logprobs !== null && r.logprobs > 0) {
      const lp = logSoftmax(logits, offset, this.ctx.vocab, this.scratch);
      token.logprob = lp[id]!;
      token.top = topK(lp, r.logprobs);
      this.cumulativeLogprob += token.logprob;
    } else if (r.logprobs !== null || r.scoreSequences) {
      // Only the chosen token's log-probability: no log-softmax of the whole row. fround: as a Float32Array
      // row would have stored it, so it is the same value either way.
      const logprob = Math.fround(logits[offset + id]! - logSumExp(logits, offset, this.ctx.vocab));
      this.cumulativeLogprob += logprob;
      if (r.logprobs !== null) token.logprob = logprob;
    }
    this.outputIds.push(id);
    this.sampler.accept(id);
    this.pending = id;

    let reason: FinishReason | null = null;
    let text = "";
    if (!r.ignoreEos && this.ctx.stopTokenIds.has(id)) {
      reason = "stop";
      text = this.release();
    } else {
      const out = this.stop.push(this.detok.push(id));
      text = out.release;
      if (out.stopped) reason = "stop";
      else if (this.outputIds.length >= r.maxTokens || this.kvLen + 1 >= this.ctx.contextLength) {
        reason = "length";
        text += this.release();
      }
    }
    this.ctx.emit({ type: "delta", index: this.index, text, tokens: [token] });
    if (reason !== null) this.finish(reason);
  }

  /** At the end, text still held back (an incomplete character, a partial stop string) is real output. */
  private release(): string {
    const tail = this.stop.push(this.detok.flush());
    return tail.stopped ? tail.release : tail.release + this.stop.flush();
  }

  failWith(error: EngineError): void {
    this.finished = true;
    this.ctx.fail(error);
  }

  /** The client went away: leave silently, so the request's event stream still ends once every sequence is gone. */
  drop(): void {
    if (this.finished) return;
    this.finished = true;
    this.ctx.dropped();
  }

  finish(reason: FinishReason): void {
    if (this.finished) return;
    this.finished = true;
    this.ctx.emit({
      type: "finish",
      index: this.index,
      reason,
      completionTokens: this.outputIds.length,
      cumulativeLogprob: this.cumulativeLogprob,
    });
  }
}
