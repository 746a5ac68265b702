import type { Rng } from "./rng.ts";
import type { SamplingParams } from "./sampling-params.ts";
import { TopCandidates } from "./top-candidates.ts";

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
  private readonly candidates: TopCandidates;

  constructor(
    private readonly params: SamplingParams,
    private readonly rng: Rng,
    vocab: number,
    promptIds: readonly number[],
  ) {
    this.scratch = new Float32Array(vocab);
    this.candidates = new TopCandidates(vocab);
    this.seen = params.repetitionPenalty !== 1 ? new Set(promptIds) : new Set();
  }

  /** No bias or penalty touches the logits. */
  private get unmodified(): boolean {
    const p = this.params;
    return p.logitBias.size === 0 && p.repetitionPenalty === 1 && p.presencePenalty === 0 && p.frequencyPenalty === 0;
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
    // Plain greedy needs no scratch copy of the row.
    if (p.temperature === 0 && this.unmodified && suppress.size === 0) return argmax(logits.subarray(offset, offset + vocab));
    x.set(logits.subarray(offset, offset + vocab));
    for (const [id, bias] of p.logitBias) if (id < vocab) x[id] = x[id]! + bias;
    if (p.repetitionPenalty !== 1) {
      for (const id of this.seen) {
        const v = x[id]!;
        x[id] = v > 0 ? v / p.repetitionPenalty : v * p.repetitionPenalty;
      }
    }
    if (p.presencePenalty !== 0 || p.frequencyPenalty !== 0) {
      for (const [id, count] of this.outputCounts) x[id] = x[id]! - (p.presencePenalty + p.frequencyPenalty * count);
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

    // Candidates: tokens above the min-p floor (relative to the top probability, exp(0) = 1 before
    // normalising), most probable first; top-k keeps the first k, top-p the shortest prefix holding p of
    // what remains. Only as many are sorted as those filters can reach.
    const floor = p.minP > 0 ? p.minP : 0;
    const cands = this.candidates;
    let keep: number;
    let candTotal = 0;
    if (p.topK > 0) {
      keep = Math.min(cands.gather(x, floor, p.topK, 0), p.topK);
      for (let i = 0; i < keep; i++) candTotal += x[cands.ids[i]!]!;
    } else {
      for (let i = 0; i < vocab; i++) if (x[i]! > 0 && x[i]! >= floor) candTotal += x[i]!;
      // top-p needs the prefix that holds its mass (with a margin for summation order); min-p alone, all.
      keep = cands.gather(x, floor, p.topP < 1 ? 1 : Infinity, p.topP < 1 ? p.topP * candTotal * (1 + 1e-6) : Infinity);
    }
    if (p.topP < 1) {
      let cut = nucleus(x, cands.ids, keep, p.topP * candTotal);
      // Rounding left the gathered prefix just short of the mass: sort every candidate and look again.
      if (cut < 0 && p.topK === 0) cut = nucleus(x, cands.ids, (keep = cands.gather(x, floor, Infinity, Infinity)), p.topP * candTotal);
      if (cut > 0) keep = cut;
    }
    let kept = 0;
    for (let i = 0; i < keep; i++) kept += x[cands.ids[i]!]!;
    let r = this.rng.next() * kept;
    for (let i = 0; i < keep; i++) {
      r -= x[cands.ids[i]!]!;
      if (r < 0) return cands.ids[i]!;
    }
    return cands.ids[keep - 1]!;
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

/** Length of the shortest prefix of `ids` whose probabilities reach `mass` (-1 when none does). */
function nucleus(x: Float32Array, ids: Int32Array, count: number, mass: number): number {
  let acc = 0;
  for (let i = 0; i < count; i++) {
    acc += x[ids[i]!]!;
    if (acc >= mass) return i + 1;
  }
  return -1;
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
