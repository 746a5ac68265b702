/**
 * onnxruntime's fused operators for the glue between the matrix products, which otherwise costs a chain of small
 * elementwise passes over the hidden states per layer (GELU's tanh form alone is eight). Built graphs use them;
 * exports keep the standard-op forms of layers.ts, exactly as they were.
 *
 *   SkipLayerNormalization / SkipSimplifiedLayerNormalization (com.microsoft): the residual add (plus the
 *     projection's bias) and the next norm in one pass, returning both the normalized and the summed stream
 *   SimplifiedLayerNormalization: RMSNorm in one op
 *   FastGelu (tanh form, with the bias add) and BiasGelu / Gelu (erf form), com.microsoft
 */
import { float, MICROSOFT_DOMAIN, type GraphBuilder, type Value } from "../onnx/graph-builder.ts";

export interface NormWeights {
  kind: "layernorm" | "rmsnorm";
  gamma: Value;
  /** layernorm only. */
  beta: Value | null;
  eps: number;
}

/** sum = x + y (+ bias), normed = norm(sum), in one pass. */
export function skipNorm(b: GraphBuilder, x: Value, y: Value, bias: Value | null, n: NormWeights): { sum: Value; normed: Value } {
  const attrs = { epsilon: float(n.eps) };
  const outs =
    n.kind === "layernorm"
      ? b.opN("SkipLayerNormalization", [x, y, n.gamma, n.beta ?? "", bias ?? ""], 4, attrs, { domain: MICROSOFT_DOMAIN })
      : b.opN("SkipSimplifiedLayerNormalization", [x, y, n.gamma, bias ?? ""], 4, attrs, { domain: MICROSOFT_DOMAIN });
  return { normed: outs[0]!, sum: outs[3]! };
}

/** RMSNorm over the last axis: x / sqrt(mean(x²) + eps) · weight. */
export function simplifiedNorm(b: GraphBuilder, x: Value, weight: Value, eps: number): Value {
  return b.op("SimplifiedLayerNormalization", [x, weight], { axis: -1, epsilon: float(eps), stash_type: 1 });
}

/** GELU, tanh form, of x + bias. */
export function fastGelu(b: GraphBuilder, x: Value, bias: Value | null): Value {
  return b.op("FastGelu", bias ? [x, bias] : [x], {}, { domain: MICROSOFT_DOMAIN });
}

/** GELU, erf form, of x + bias. */
export function erfGelu(b: GraphBuilder, x: Value, bias: Value | null): Value {
  return bias ? b.op("BiasGelu", [x, bias], {}, { domain: MICROSOFT_DOMAIN }) : b.op("Gelu", [x], {}, { domain: MICROSOFT_DOMAIN });
}
