/**
 * The most probable tokens of one row, most probable first (ties: lower id first), without sorting the whole
 * vocabulary. One pass buckets the probabilities by their float32 bit pattern (which orders positive floats
 * like their values), the buckets are walked from the top until enough tokens and mass are covered, and only
 * the tokens in those buckets are gathered and sorted. Sorting all 50k tokens with a comparator cost
 * ~25–100 ms per sampled token; this costs two passes over the row and a native sort of the few that matter.
 */
const ID_SPACE = 2 ** 20; // ids below ~1M; key = (inverted bits) × ID_SPACE + id stays below 2^53
const MAX_BITS = 0xffffffff;
/** 8 exponent + 7 mantissa bits: one bucket spans under 1% of a value, so a boundary bucket adds few extras. */
const BUCKET_SHIFT = 16;
const BUCKETS = 0x8000; // probabilities are ≤ 1 (bits ≤ 0x3f800000), far below 2^31 >>> 16

export class TopCandidates {
  /** Candidate ids, sorted, in [0, count) after gather(). */
  readonly ids: Int32Array;
  private readonly keys: Float64Array;
  private readonly counts = new Int32Array(BUCKETS);
  private readonly masses = new Float64Array(BUCKETS);

  constructor(vocab: number) {
    if (vocab > ID_SPACE) throw new Error(`vocabulary of ${vocab} tokens is larger than the sampler supports (${ID_SPACE})`);
    this.ids = new Int32Array(vocab);
    this.keys = new Float64Array(vocab);
  }

  /**
   * Sorts the tokens with probability > 0 and ≥ `floor` (`probs` unnormalised, each ≤ 1): at least the
   * `minCount` best and enough of them to hold `minMass`, or all of them. Returns how many were sorted.
   */
  gather(probs: Float32Array, floor: number, minCount: number, minMass: number): number {
    const bits = new Uint32Array(probs.buffer, probs.byteOffset, probs.length);
    const { counts, masses, ids } = this;
    counts.fill(0);
    masses.fill(0);
    let top = 0;
    for (let i = 0; i < probs.length; i++) {
      const v = probs[i]!;
      if (v > 0 && v >= floor) {
        const b = bits[i]! >>> BUCKET_SHIFT;
        counts[b]!++;
        masses[b]! += v;
        if (b > top) top = b;
      }
    }
    let lowest = top;
    let count = 0;
    let mass = 0;
    for (; lowest >= 0; lowest--) {
      count += counts[lowest]!;
      mass += masses[lowest]!;
      if (count >= minCount && mass >= minMass) break;
    }
    const edge = Math.max(lowest, 0) << BUCKET_SHIFT;
    let n = 0;
    for (let i = 0; i < probs.length; i++) {
      const v = probs[i]!;
      if (v > 0 && v >= floor && bits[i]! >= edge) ids[n++] = i;
    }
    const keys = this.keys.subarray(0, n);
    for (let j = 0; j < n; j++) keys[j] = (MAX_BITS - bits[ids[j]!]!) * ID_SPACE + ids[j]!;
    keys.sort();
    for (let j = 0; j < n; j++) ids[j] = keys[j]! % ID_SPACE;
    return n;
  }
}
