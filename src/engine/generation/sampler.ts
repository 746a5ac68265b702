import type { Rng } from "./rng.ts";
import type { SamplingParams } from "./sampling-params.ts";

/**
 * Turns one row of raw logits into the next token: bias and penalties, then temperature, top-k, top-p and
 * min-p, then a draw from the seeded RNG (or argmax when temperature is 0). Works on a scratch copy so the
 * raw logits stay intact for log-probabilities.
 */
export class Sampler {
  private readonly scratch: Float32Array;
  /** Output-token counts for presence/frequency penalties. */
  private readonly outputCounts = new Map<number, number>();
  /** Every token seen (prompt + output) for the repetition penalty. */
  private readonly seen: Set<number>;

  constructor(
    private readonly params: SamplingParams,
    private readonly rng: Rng,
    vocab: number,
    promptIds: readonly number[],
  ) {
    this.scratch = new Float32Array(vocab);
    this.seen = params.repetitionPenalty !== 1 ? new Set(promptIds) : new Set();
  }

  /** Record a token this sequence produced. */
  accept(id: number): void {
    this.outputCounts.set(id, (this.outputCounts.get(id) ?? 0) + 1);
    if (this.params.repetitionPenalty !== 1) this.seen.add(id);
  }

  sample(logits: Float32Array, offset: number, suppress: ReadonlySet<number>): number {
    const p = this.params;
    const x = this.scratch;
    const vocab = x.length;
    x.set(logits.subarray(offset, offset + vocab));
    for (const [id, bias] of p.logitBias) if (id < vocab) x[id] += bias;
    if (p.repetitionPenalty !== 1) {
      for (const id of this.seen) {
        const v = x[id]!;
        x[id] = v > 0 ? v / p.repetitionPenalty : v * p.repetitionPenalty;
      }
    }
    if (p.presencePenalty !== 0 || p.frequencyPenalty !== 0) {
      for (const [id, count] of this.outputCounts) x[id] -= p.presencePenalty + p.frequencyPenalty * count;
    }
    for (const id of suppress) if (id < vocab) x[id] = -Infinity;

    if (p.temperature === 0) return argmax(x);

    const invT = 1 / p.temperature;
    let max = -Infinity;
    for (let i = 0; i < vocab; i++) if (x[i]! > max) max = x[i]!;
    if (max === -Infinity) return argmax(logits.subarray(offset, offset + vocab));
    // probabilities (unnormalised) in place
    let total = 0;
    for (let i = 0; i < vocab; i++) {
      const e = Math.exp((x[i]! - max) * invT);
      x[i] = e;
      total += e;
    }
    const needsFilter = (p.topK > 0 && p.topK < vocab) || p.topP < 1 || p.minP > 0;
    if (!needsFilter) return this.draw(x, total);

    let floor = 0;
    if (p.minP > 0) floor = p.minP; // relative to the top probability, which is exp(0)=1 before normalising
    // Candidates: tokens above the min-p floor, sorted by probability (only these are sorted).
    const cand: number[] = [];
    for (let i = 0; i < vocab; i++) if (x[i]! > 0 && x[i]! >= floor) cand.push(i);
    cand.sort((a, b) => x[b]! - x[a]! || a - b);
    let keep = cand.length;
    if (p.topK > 0) keep = Math.min(keep, p.topK);
    if (p.topP < 1) {
      let candTotal = 0;
      for (let i = 0; i < keep; i++) candTotal += x[cand[i]!]!;
      let acc = 0;
      for (let i = 0; i < keep; i++) {
        acc += x[cand[i]!]!;
        if (acc >= p.topP * candTotal) {
          keep = i + 1;
          break;
        }
      }
    }
    let kept = 0;
    for (let i = 0; i < keep; i++) kept += x[cand[i]!]!;
    let r = this.rng.next() * kept;
    for (let i = 0; i < keep; i++) {
      r -= x[cand[i]!]!;
      if (r < 0) return cand[i]!;
    }
    return cand[keep - 1]!;
  }

  private draw(probs: Float32Array, total: number): number {
    let r = this.rng.next() * total;
    let last = 0;
    for (let i = 0; i < probs.length; i++) {
      const v = probs[i]!;
      if (v <= 0) continue;
      last = i;
      r -= v;
      if (r < 0) return i;
    }
    return last;
  }
}

export function argmax(x: Float32Array): number {
  let best = 0;
  let bestV = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (x[i]! > bestV) {
      bestV = x[i]!;
      best = i;
    }
  }
  return best;
}
