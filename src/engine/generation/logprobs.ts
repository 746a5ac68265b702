/** One alternative token with its log-probability under the raw model distribution. */
export interface TopLogprob {
  id: number;
  logprob: number;
}

/**
 * Log-softmax of raw logits for one position, computed in place into `out` (log-probabilities are what the
 * model says, before temperature, penalties or bias, as the OpenAI API reports them).
 */
export function logSoftmax(logits: Float32Array, offset: number, vocab: number, out: Float32Array): Float32Array {
  const lse = logSumExp(logits, offset, vocab);
  for (let i = 0; i < vocab; i++) out[i] = logits[offset + i]! - lse;
  return out;
}

/** log Σ exp(logits) of one row: one token's log-probability is its logit minus this (no full row needed). */
export function logSumExp(logits: Float32Array, offset: number, vocab: number): number {
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) {
    const v = logits[offset + i]!;
    if (v > max) max = v;
  }
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp(logits[offset + i]! - max);
  return max + Math.log(sum);
}

/** The k most likely tokens, most likely first (ties by lower id), without sorting the vocabulary. */
export function topK(values: Float32Array, k: number): TopLogprob[] {
  if (k <= 0) return [];
  const best: TopLogprob[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (best.length === k && v <= best[k - 1]!.logprob) continue;
    let j = best.length < k ? best.length : k - 1;
    if (best.length < k) best.push({ id: i, logprob: v });
    // insertion into the short sorted list
    while (j > 0 && best[j - 1]!.logprob < v) {
      best[j] = best[j - 1]!;
      j--;
    }
    best[j] = { id: i, logprob: v };
  }
  return best;
}
