import { GenerationFailed } from "../engine-errors.ts";
import { applyAllowedTokenMask } from "./logits/allowed-token-mask.ts";
import { LogitBias } from "./logits/logit-bias.ts";
import type { LogitsProcessor } from "./logits/logits-processor.ts";
import { OutputPenalties } from "./logits/output-penalties.ts";
import { RepetitionPenalty } from "./logits/repetition-penalty.ts";
import { argmax, TokenDraw } from "./logits/token-draw.ts";
import type { Rng } from "./rng.ts";
import type { SamplingParams } from "./sampling-params.ts";

export { argmax };

export interface SamplerOptions {
  params: SamplingParams;
  rng: Rng;
  vocab: number;
  /** The prompt, which the repetition penalty covers too. */
  promptIds: readonly number[];
}

/**
 * Turns one row of raw logits into a sequence's next token: the allowed-token mask (structured output), then
 * the request's logits processors (logit bias, repetition penalty, presence/frequency penalties), then the
 * draw (temperature, min-p, top-k, top-p, seeded RNG). Works on a scratch copy so the raw logits stay intact
 * for log-probabilities; plain greedy with nothing to apply reads the row in place.
 */
export class Sampler {
  private readonly scratch: Float32Array;
  private readonly processors: LogitsProcessor[];
  private readonly draw: TokenDraw;

  constructor(opts: SamplerOptions) {
    this.scratch = new Float32Array(opts.vocab);
    this.processors = logitsProcessors(opts.params, opts.promptIds);
    this.draw = new TokenDraw(opts.params, opts.rng, opts.vocab);
  }

  /** Record the token this sequence took (the penalties count it). */
  accept(id: number): void {
    for (const p of this.processors) p.accept?.(id);
  }

  /** The next token from `logits[offset .. offset+vocab)`; `mask` (when not null) says which tokens are allowed. */
  sample(logits: Float32Array, offset: number, mask: Uint32Array | null = null): number {
    const x = this.scratch;
    const row = logits.subarray(offset, offset + x.length);
    if (this.draw.greedy && this.processors.length === 0 && mask === null) return argmax(row);
    x.set(row);
    if (mask !== null) applyAllowedTokenMask(x, mask);
    for (const p of this.processors) p.apply(x);
    const id = this.draw.pick(x);
    if (mask === null) return id >= 0 ? id : argmax(row);
    // Greedy argmax returns 0 when nothing is finite; a draw returns -1: neither may pass a token the mask forbids.
    if (id < 0 || !allows(mask, id) || row[id] === -Infinity) {
      throw new GenerationFailed("the token constraint allowed only tokens the model gives no probability");
    }
    return id;
  }
}

/** The processors a request's parameters switch on, in the order they apply. */
function logitsProcessors(p: SamplingParams, promptIds: readonly number[]): LogitsProcessor[] {
  const list: LogitsProcessor[] = [];
  if (p.logitBias.size > 0) list.push(new LogitBias(p.logitBias));
  if (p.repetitionPenalty !== 1) list.push(new RepetitionPenalty(p.repetitionPenalty, promptIds));
  if (p.presencePenalty !== 0 || p.frequencyPenalty !== 0) list.push(new OutputPenalties(p.presencePenalty, p.frequencyPenalty));
  return list;
}

function allows(mask: Uint32Array, id: number): boolean {
  return (((mask[id >>> 5] ?? 0) >>> (id & 31)) & 1) === 1;
}
