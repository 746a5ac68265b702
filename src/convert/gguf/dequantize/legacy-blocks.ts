/**
 * ggml's 32-weight block formats, decoded as dequantize_row_q{4_0,4_1,5_0,5_1,8_0} in ggml-quants.c do: float32
 * arithmetic in the same order (Math.fround where C rounds an intermediate), so the weights are ggml's bit for bit.
 *
 *   Q4_0  d:f16 qs[16]            w[j] = (lo(qs[j]) − 8)·d, w[j+16] = (hi(qs[j]) − 8)·d
 *   Q4_1  d:f16 m:f16 qs[16]      w = q·d + m
 *   Q5_0  d:f16 qh:u32 qs[16]     5th bit of weight j is bit j of qh; w = (q − 16)·d
 *   Q5_1  d:f16 m:f16 qh qs[16]   w = q·d + m
 *   Q8_0  d:f16 qs:i8[32]         w = q·d
 */
import { halfToFloatTable } from "../../numeric/half-float.ts";

const QK = 32;

function half(table: Float32Array, bytes: Uint8Array, at: number): number {
  return table[bytes[at]! | (bytes[at + 1]! << 8)]!;
}

function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

export function dequantizeQ4_0(bytes: Uint8Array, count: number): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(count);
  for (let b = 0, o = 0; o < count; b += 18, o += QK) {
    const d = half(table, bytes, b);
    for (let j = 0; j < 16; j++) {
      const q = bytes[b + 2 + j]!;
      out[o + j] = ((q & 0x0f) - 8) * d;
      out[o + j + 16] = ((q >> 4) - 8) * d;
    }
  }
  return out;
}

export function dequantizeQ4_1(bytes: Uint8Array, count: number): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(count);
  for (let b = 0, o = 0; o < count; b += 20, o += QK) {
    const d = half(table, bytes, b);
    const m = half(table, bytes, b + 2);
    for (let j = 0; j < 16; j++) {
      const q = bytes[b + 4 + j]!;
      out[o + j] = Math.fround((q & 0x0f) * d) + m;
      out[o + j + 16] = Math.fround((q >> 4) * d) + m;
    }
  }
  return out;
}

export function dequantizeQ5_0(bytes: Uint8Array, count: number): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(count);
  for (let b = 0, o = 0; o < count; b += 22, o += QK) {
    const d = half(table, bytes, b);
    const qh = u32(bytes, b + 2);
    for (let j = 0; j < 16; j++) {
      const q = bytes[b + 6 + j]!;
      const h0 = ((qh >>> j) << 4) & 0x10;
      const h1 = (qh >>> (j + 12)) & 0x10;
      out[o + j] = (((q & 0x0f) | h0) - 16) * d;
      out[o + j + 16] = (((q >> 4) | h1) - 16) * d;
    }
  }
  return out;
}

export function dequantizeQ5_1(bytes: Uint8Array, count: number): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(count);
  for (let b = 0, o = 0; o < count; b += 24, o += QK) {
    const d = half(table, bytes, b);
    const m = half(table, bytes, b + 2);
    const qh = u32(bytes, b + 4);
    for (let j = 0; j < 16; j++) {
      const q = bytes[b + 8 + j]!;
      const h0 = ((qh >>> j) << 4) & 0x10;
      const h1 = (qh >>> (j + 12)) & 0x10;
      out[o + j] = Math.fround(((q & 0x0f) | h0) * d) + m;
      out[o + j + 16] = Math.fround(((q >> 4) | h1) * d) + m;
    }
  }
  return out;
}

export function dequantizeQ8_0(bytes: Uint8Array, count: number): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(count);
  for (let b = 0, o = 0; o < count; b += 34, o += QK) {
    const d = half(table, bytes, b);
    for (let j = 0; j < QK; j++) out[o + j] = ((bytes[b + 2 + j]! << 24) >> 24) * d;
  }
  return out;
}
