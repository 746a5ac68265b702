/**
 * ggml's 256-weight K-quant super-blocks, decoded as dequantize_row_q{4,5,6}_K in ggml-quants.c do, with float32
 * rounding of every intermediate C rounds (Math.fround), so the weights are ggml's bit for bit.
 *
 *   Q4_K  d:f16 dmin:f16 scales[12] qs[128]           8 sub-blocks of 32; 6-bit scale and min each (packed)
 *   Q5_K  d:f16 dmin:f16 scales[12] qh[32] qs[128]    as Q4_K plus a 5th bit per weight
 *   Q6_K  ql[128] qh[64] scales:i8[16] d:f16          16 sub-blocks of 16; w = d·scale·(q − 32)
 */
import { halfToFloatTable } from "../../numeric/half-float.ts";

const QK_K = 256;

function half(table: Float32Array, bytes: Uint8Array, at: number): number {
  return table[bytes[at]! | (bytes[at + 1]! << 8)]!;
}

/** get_scale_min_k4: the j-th 6-bit scale and min of a Q4_K/Q5_K block's 12 packed bytes at `s`. */
function scaleMin(bytes: Uint8Array, s: number, j: number): [number, number] {
  if (j < 4) return [bytes[s + j]! & 63, bytes[s + j + 4]! & 63];
  const sc = (bytes[s + j + 4]! & 0x0f) | ((bytes[s + j - 4]! >> 6) << 4);
  const m = (bytes[s + j + 4]! >> 4) | ((bytes[s + j]! >> 6) << 4);
  return [sc, m];
}

export function dequantizeQ4_K(bytes: Uint8Array, count: number): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(count);
  for (let b = 0, o = 0; o < count; b += 144, o += QK_K) {
    const d = half(table, bytes, b);
    const min = half(table, bytes, b + 2);
    let q = b + 16;
    let y = o;
    for (let is = 0; is < 8; is += 2) {
      const [sc1, m1q] = scaleMin(bytes, b + 4, is);
      const [sc2, m2q] = scaleMin(bytes, b + 4, is + 1);
      const d1 = Math.fround(d * sc1);
      const m1 = Math.fround(min * m1q);
      const d2 = Math.fround(d * sc2);
      const m2 = Math.fround(min * m2q);
      for (let l = 0; l < 32; l++) out[y++] = Math.fround(d1 * (bytes[q + l]! & 0x0f)) - m1;
      for (let l = 0; l < 32; l++) out[y++] = Math.fround(d2 * (bytes[q + l]! >> 4)) - m2;
      q += 32;
    }
  }
  return out;
}

export function dequantizeQ5_K(bytes: Uint8Array, count: number): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(count);
  for (let b = 0, o = 0; o < count; b += 176, o += QK_K) {
    const d = half(table, bytes, b);
    const min = half(table, bytes, b + 2);
    const qh = b + 16;
    let ql = b + 48;
    let y = o;
    let u1 = 1;
    let u2 = 2;
    for (let is = 0; is < 8; is += 2) {
      const [sc1, m1q] = scaleMin(bytes, b + 4, is);
      const [sc2, m2q] = scaleMin(bytes, b + 4, is + 1);
      const d1 = Math.fround(d * sc1);
      const m1 = Math.fround(min * m1q);
      const d2 = Math.fround(d * sc2);
      const m2 = Math.fround(min * m2q);
      for (let l = 0; l < 32; l++) out[y++] = Math.fround(d1 * ((bytes[ql + l]! & 0x0f) + (bytes[qh + l]! & u1 ? 16 : 0))) - m1;
      for (let l = 0; l < 32; l++) out[y++] = Math.fround(d2 * ((bytes[ql + l]! >> 4) + (bytes[qh + l]! & u2 ? 16 : 0))) - m2;
      ql += 32;
      u1 <<= 2;
      u2 <<= 2;
    }
  }
  return out;
}

export function dequantizeQ6_K(bytes: Uint8Array, count: number): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(count);
  for (let b = 0, o = 0; o < count; b += 210, o += QK_K) {
    const d = half(table, bytes, b + 208);
    let ql = b;
    let qh = b + 128;
    let sc = b + 192;
    let y = o;
    for (let n = 0; n < QK_K; n += 128) {
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const h = bytes[qh + l]!;
        const q1 = ((bytes[ql + l]! & 0x0f) | ((h & 3) << 4)) - 32;
        const q2 = ((bytes[ql + l + 32]! & 0x0f) | (((h >> 2) & 3) << 4)) - 32;
        const q3 = ((bytes[ql + l]! >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const q4 = ((bytes[ql + l + 32]! >> 4) | (((h >> 6) & 3) << 4)) - 32;
        out[y + l] = Math.fround(d * ((bytes[sc + is]! << 24) >> 24)) * q1;
        out[y + l + 32] = Math.fround(d * ((bytes[sc + is + 2]! << 24) >> 24)) * q2;
        out[y + l + 64] = Math.fround(d * ((bytes[sc + is + 4]! << 24) >> 24)) * q3;
        out[y + l + 96] = Math.fround(d * ((bytes[sc + is + 6]! << 24) >> 24)) * q4;
      }
      y += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
  return out;
}
