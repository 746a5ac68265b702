import * as ort from "onnxruntime-node";

/** Element data of a KV or logits tensor, whatever its float type (float16 arrives as raw uint16). */
export type FloatData = Float32Array | Uint16Array;

export function int64Tensor(values: ArrayLike<number>, dims: number[]): ort.Tensor {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!);
  return new ort.Tensor("int64", data, dims);
}

/** An empty or filled float tensor of the session's KV type. */
export function floatTensor(type: "float32" | "float16", data: FloatData, dims: number[]): ort.Tensor {
  return new ort.Tensor(type, data as Float32Array, dims);
}

export function allocFloat(type: "float32" | "float16", size: number): FloatData {
  return type === "float16" ? new Uint16Array(size) : new Float32Array(size);
}

/** IEEE half → float, for fp16 logits. */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Logits as float32 whatever the graph produced. */
export function toFloat32(t: ort.Tensor): Float32Array {
  if (t.type === "float32") return t.data as Float32Array;
  if (t.type === "float16") {
    const src = t.data as unknown as ArrayLike<number>;
    const out = new Float32Array(src.length);
    if (src instanceof Uint16Array) for (let i = 0; i < src.length; i++) out[i] = halfToFloat(src[i]!);
    else for (let i = 0; i < src.length; i++) out[i] = src[i]!; // a runtime with native Float16Array
    return out;
  }
  throw new Error(`unsupported logits type ${t.type}`);
}
