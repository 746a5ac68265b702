/**
 * Transformer building blocks, written with standard ONNX ops only: norms, activations, attention masks and
 * scaled dot-product attention. The decoder graph and the factory's encoder are made of these.
 */
import { float, type GraphBuilder, type Value } from "../onnx/graph-builder.ts";

/**
 * Score given to masked key positions: float32's lowest value, as Hugging Face uses. exp(lowest - max) underflows
 * to exactly 0, so padding and future tokens contribute nothing; a query row with every key masked (a padding
 * position) becomes uniform instead of NaN because Softmax subtracts the row max first.
 */
export const MASKED_SCORE = -3.4028234663852886e38;

export function layerNorm(b: GraphBuilder, x: Value, weight: Value, bias: Value, eps: number): Value {
  return b.op("LayerNormalization", [x, weight, bias], { axis: -1, epsilon: float(eps) });
}

/** RMSNorm (Llama): x / sqrt(mean(x²) + eps) · weight; no mean subtraction, no bias. */
export function rmsNorm(b: GraphBuilder, x: Value, weight: Value, eps: number): Value {
  const meanSquare = b.reduceMean(b.mul(x, x), [-1]);
  const rms = b.sqrt(b.add(meanSquare, b.scalar(eps)));
  return b.mul(b.div(x, rms), weight);
}

/** GELU, tanh approximation ("gelu_new", GPT-2). */
export function geluTanh(b: GraphBuilder, x: Value): Value {
  const cube = b.mul(b.mul(x, x), x);
  const inner = b.mul(b.add(x, b.mul(cube, b.scalar(0.044715))), b.scalar(Math.sqrt(2 / Math.PI)));
  return b.mul(b.mul(x, b.scalar(0.5)), b.add(b.tanh(inner), b.scalar(1)));
}

/** GELU, exact erf form (nn.GELU(), "gelu", BERT). */
export function geluErf(b: GraphBuilder, x: Value): Value {
  const erf = b.op("Erf", [b.mul(x, b.scalar(Math.SQRT1_2))]);
  return b.mul(b.mul(x, b.scalar(0.5)), b.add(erf, b.scalar(1)));
}

/** SiLU (Llama's MLP gate): x · sigmoid(x). */
export function silu(b: GraphBuilder, x: Value): Value {
  return b.mul(x, b.sigmoid(x));
}

/** attention_mask [batch, keys] (int64, 1 = real token) → bool [batch, 1, 1, keys], broadcastable over heads and queries. */
export function paddingMask(b: GraphBuilder, attentionMask: Value): Value {
  return b.unsqueeze(b.cast(attentionMask, "bool"), [1, 2]);
}

/**
 * Decoder mask, bool [batch, 1, queries, keys]: key j is visible to query i when it is not padding, not in the
 * future and, with a `window`, at most `window` positions back. The keys are the past plus the new tokens
 * (attention_mask covers both), so query i sits at absolute index keys − queries + i; that keeps the mask right for
 * any cache length and any left padding (a row's real tokens are contiguous, so index distance = position distance).
 */
export function decoderMask(b: GraphBuilder, inputIds: Value, attentionMask: Value, window: number | null = null): Value {
  const keys = b.dim(attentionMask, 1);
  const queries = b.dim(inputIds, 1);
  const zero = b.int64s([0], []);
  const one = b.int64s([1], []);
  const keyIndex = b.range(zero, keys, one); // [keys]
  const queryIndex = b.unsqueeze(b.range(b.sub(keys, queries), keys, one), [1]); // [queries, 1]
  let visible = b.lessOrEqual(keyIndex, queryIndex); // [queries, keys]
  if (window !== null) visible = b.and(visible, b.lessOrEqual(b.sub(queryIndex, keyIndex), b.int64s([window], [])));
  return b.and(visible, paddingMask(b, attentionMask));
}

/** [batch, seq, heads·headDim] → [batch, heads, seq, headDim]. */
export function splitHeads(b: GraphBuilder, x: Value, heads: number, headDim: number): Value {
  return b.transpose(b.reshape(x, [0, 0, heads, headDim]), [0, 2, 1, 3]);
}

/** [batch, heads, seq, headDim] → [batch, seq, heads·headDim]. */
export function mergeHeads(b: GraphBuilder, x: Value, heads: number, headDim: number): Value {
  return b.reshape(b.transpose(x, [0, 2, 1, 3]), [0, 0, heads * headDim]);
}

/** Grouped-query attention: each of `kvHeads` heads serves `groups` consecutive query heads (HF `repeat_kv`). */
export function repeatKv(b: GraphBuilder, x: Value, kvHeads: number, groups: number, headDim: number): Value {
  if (groups === 1) return x;
  const expanded = b.expand(b.unsqueeze(x, [2]), [1, 1, groups, 1, 1]); // [batch, kvHeads, groups, keys, headDim]
  return b.reshape(expanded, [0, kvHeads * groups, -1, headDim]);
}

/** softmax(q·kᵀ·scale, masked) · v with q [b, h, queries, d], k and v [b, h, keys, d], mask bool [b, 1, queries, keys]. */
export function attention(b: GraphBuilder, q: Value, k: Value, v: Value, mask: Value, scale: number): Value {
  const scores = b.mul(b.matmul(q, b.transpose(k, [0, 1, 3, 2])), b.scalar(scale));
  const probs = b.softmax(b.where(mask, scores, b.scalar(MASKED_SCORE)), -1);
  return b.matmul(probs, v);
}

/** Projects hidden states [batch, seq, width] onto a vocabulary matrix stored as [vocab, width] (tied or not). */
export function lmHead(b: GraphBuilder, hidden: Value, weight: Value, width: number, vocab: number): Value {
  // Gemm reads the [vocab, width] matrix transposed in place (transB), so a tied embedding needs no copy.
  const flat = b.op("Gemm", [b.reshape(hidden, [-1, width]), weight], { transB: 1 });
  const shape = b.concat([b.slice(b.shape(hidden), [0], [2], [0]), b.int64s([vocab])], 0);
  // allowzero: no kept positions (an intermediate prompt chunk) is an empty dimension, not "copy the input's"
  return b.op("Reshape", [flat, shape], { allowzero: 1 });
}
