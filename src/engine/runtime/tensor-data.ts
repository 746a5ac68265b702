import * as ort from "onnxruntime-node";
import { halfToFloat } from "../../convert/numeric/half-float.ts";

/** Element data of a KV or logits tensor, whatever its float type (float16 arrives as raw uint16). */
export type FloatData = Float32Array | Uint16Array;

/** Token ids, positions and masks as onnxruntime wants them; a BigInt64Array is taken as it is. */
export function int64Tensor(values: ArrayLike<number> | BigInt64Array, dims: number[]): ort.Tensor {
  return new ort.Tensor("int64", values instanceof BigInt64Array ? values : toInt64(values), dims);
}

/**
 * Small integers into int64 without a BigInt per element: write the two 32-bit halves (little-endian, as
 * every platform onnxruntime-node ships for), the high half being the sign.
 */
export function toInt64(values: ArrayLike<number>): BigInt64Array {
  const out = new BigInt64Array(values.length);
  const halves = new Int32Array(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    halves[2 * i] = v;
    halves[2 * i + 1] = v < 0 ? -1 : 0;
  }
  return out;
}

/** An empty or filled float tensor of the session's KV type. */
export function floatTensor(type: "float32" | "float16", data: FloatData, dims: number[]): ort.Tensor {
  return new ort.Tensor(type, data as Float32Array, dims);
}

/**
 * A KV tensor's elements as raw storage. float16 may arrive as a native Float16Array: copying that into a
 * Uint16Array would convert values, not bits, so it is viewed bit for bit instead.
 */
export function kvData(t: ort.Tensor): FloatData {
  const data = t.data as unknown as ArrayBufferView & { length: number };
  if (t.type === "float16" && !(data instanceof Uint16Array)) return new Uint16Array(data.buffer, data.byteOffset, data.length);
  return data as FloatData;
}

export function allocFloat(type: "float32" | "float16", size: number): FloatData {
  return type === "float16" ? new Uint16Array(size) : new Float32Array(size);
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
