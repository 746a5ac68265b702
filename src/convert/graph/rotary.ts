/**
 * Rotary position embeddings as transformers computes them: inv_freq = 1 / θ^(2i/d) over the rotary dimensions
 * (rescaled by `linear` or `llama3` rope_scaling), angles = position · inv_freq, and q·cos + rotate(q)·sin with
 * rotate-half (HF) or interleaved pairs (2i, 2i+1; GGUF's llama layout). Dimensions past `rotaryDim` pass unrotated.
 */
import type { RopeScaling } from "../decoder-architecture.ts";
import type { GraphBuilder, Value } from "../onnx/graph-builder.ts";

export interface RotarySpec {
  theta: number;
  rotaryDim: number;
  interleaved: boolean;
  scaling: RopeScaling | null;
}

export interface RotaryTables {
  cos: Value;
  sin: Value;
}

/** inv_freq per rotary pair, with the scaling applied (transformers `_compute_*_rope_parameters`). */
export function inverseFrequencies(s: Pick<RotarySpec, "theta" | "rotaryDim" | "scaling">): Float64Array {
  const d = s.rotaryDim;
  const inv = Float64Array.from({ length: d / 2 }, (_, i) => s.theta ** (-(2 * i) / d));
  const scaling = s.scaling;
  if (!scaling) return inv;
  if (scaling.type === "linear") return inv.map((f) => f / scaling.factor);
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositions } = scaling;
  const lowFreqWavelen = originalMaxPositions / lowFreqFactor;
  const highFreqWavelen = originalMaxPositions / highFreqFactor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highFreqWavelen) return f; // high frequencies: kept
    if (wavelen > lowFreqWavelen) return f / factor; // low frequencies: scaled
    const smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}

/** cos/sin of the angles, [batch, 1, seq, rotaryDim], computed once from position_ids and shared by every layer. */
export function rotaryTables(b: GraphBuilder, positionIds: Value, s: RotarySpec): RotaryTables {
  const inv = inverseFrequencies(s);
  // Each angle appears twice: as the two halves (rotate-half) or as adjacent pairs (interleaved).
  const perDim = s.interleaved ? Array.from(inv, (f) => [f, f]).flat() : [...inv, ...inv];
  const positions = b.unsqueeze(b.cast(positionIds, "float32"), [2]); // [batch, seq, 1]
  const angles = b.mul(positions, b.initializer("rotary.inv_freq", [s.rotaryDim], Float32Array.from(perDim))); // [batch, seq, d]
  const shared = b.unsqueeze(angles, [1]); // [batch, 1, seq, d]
  return { cos: b.cos(shared), sin: b.sin(shared) };
}

/** Rotates x [batch, heads, seq, headDim] by the tables. */
export function applyRotary(b: GraphBuilder, x: Value, t: RotaryTables, headDim: number, s: RotarySpec): Value {
  const R = s.rotaryDim;
  const [rot, pass] = R < headDim ? (b.splitSizes(x, [R, headDim - R], -1) as [Value, Value]) : [x, null];
  let rotated: Value;
  if (s.interleaved) {
    const pairs = b.reshape(rot, [0, 0, 0, R / 2, 2]);
    const [even, odd] = b.split(pairs, 2, -1) as [Value, Value];
    rotated = b.reshape(b.concat([b.neg(odd), even], -1), [0, 0, 0, R]);
  } else {
    const [x1, x2] = b.split(rot, 2, -1) as [Value, Value];
    rotated = b.concat([b.neg(x2), x1], -1);
  }
  const out = b.add(b.mul(rot, t.cos), b.mul(rotated, t.sin));
  return pass ? b.concat([out, pass], -1) : out;
}
