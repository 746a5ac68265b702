import type { Rng } from "../rng.ts";
import type { SamplingParams } from "../sampling-params.ts";
import { TopCandidates } from "../top-candidates.ts";

/**
 * The last stage of sampling: temperature, then the min-p floor, top-k and top-p over what remains, then one
 * draw from the seeded RNG (argmax at temperature 0). The three filters share one candidate selection that
 * sorts only the tokens they can reach (see top-candidates.ts), which is why they are one stage and not three
 * processors: sorting the whole vocabulary per token cost 25–100 ms.
 */
export class TokenDraw {
  private readonly candidates: TopCandidates;

  constructor(
    private readonly params: Pick<SamplingParams, "temperature" | "topK" | "topP" | "minP">,
    private readonly rng: Rng,
    vocab: number,
  ) {
    this.candidates = new TopCandidates(vocab);
  }

  get greedy(): boolean {
    return this.params.temperature === 0;
  }

  /** The next token from processed logits `x` (overwritten with probabilities); -1 when every logit is -Infinity. */
  pick(x: Float32Array): number {
    const p = this.params;
    if (p.temperature === 0) return argmax(x);
    const total = toProbabilities(x, p.temperature);
    if (total === 0) return -1;
    const vocab = x.length;
    const filtered = (p.topK > 0 && p.topK < vocab) || p.topP < 1 || p.minP > 0;
    return filtered ? this.drawFiltered(x) : drawFrom(x, total, this.rng);
  }

  /**
   * Candidates: tokens above the min-p floor (relative to the top probability, which is 1 before normalising),
   * most probable first; top-k keeps the first k, top-p the shortest prefix holding p of what remains.
   */
  private drawFiltered(x: Float32Array): number {
    const p = this.params;
    const cands = this.candidates;
    const floor = p.minP > 0 ? p.minP : 0;
    let keep: number;
    let candTotal = 0;
    if (p.topK > 0) {
      keep = Math.min(cands.gather(x, floor, p.topK, 0), p.topK);
      for (let i = 0; i < keep; i++) candTotal += x[cands.ids[i]!]!;
    } else {
      for (let i = 0; i < x.length; i++) if (x[i]! > 0 && x[i]! >= floor) candTotal += x[i]!;
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
}

/** Temperature-scaled, unnormalised probabilities in place (the most likely token gets 1); returns their sum. */
function toProbabilities(x: Float32Array, temperature: number): number {
  const invT = 1 / temperature;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i]! > max) max = x[i]!;
  if (max === -Infinity) return 0;
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const e = Math.exp((x[i]! - max) * invT);
    x[i] = e;
    total += e;
  }
  return total;
}

/** One draw over the whole (unfiltered) distribution. */
function drawFrom(probs: Float32Array, total: number, rng: Rng): number {
  let r = rng.next() * total;
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
