/**
 * Plain element types: F32 as stored, F16 (IEEE half) through a 65 536-entry table of exact float32 values, BF16
 * as the top half of a float32 (ggml's GGML_FP16_TO_FP32 / GGML_BF16_TO_FP32).
 */
import { halfToFloatTable } from "../../numeric/half-float.ts";

export function dequantizeF32(bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  new Uint8Array(out.buffer).set(bytes.subarray(0, count * 4));
  return out;
}

export function dequantizeF16(bytes: Uint8Array, count: number): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = table[bytes[2 * i]! | (bytes[2 * i + 1]! << 8)]!;
  return out;
}

export function dequantizeBF16(bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) bits[i] = ((bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16) >>> 0;
  return out;
}
