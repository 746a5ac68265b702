/**
 * Reference dequantization written in the tests from ggml's block layouts (ggml-common.h) and
 * dequantize_row_* (ggml-quants.c): one weight at a time from its index, with float32 rounding where C rounds,
 * half floats through DataView.getFloat16. Deliberately shaped unlike src/convert/gguf/dequantize so the two
 * cannot share a mistake.
 */
export const REF_TYPES: Record<number, { name: string; block: number; bytes: number }> = {
  0: { name: "F32", block: 1, bytes: 4 },
  1: { name: "F16", block: 1, bytes: 2 },
  2: { name: "Q4_0", block: 32, bytes: 18 },
  3: { name: "Q4_1", block: 32, bytes: 20 },
  6: { name: "Q5_0", block: 32, bytes: 22 },
  7: { name: "Q5_1", block: 32, bytes: 24 },
  8: { name: "Q8_0", block: 32, bytes: 34 },
  12: { name: "Q4_K", block: 256, bytes: 144 },
  13: { name: "Q5_K", block: 256, bytes: 176 },
  14: { name: "Q6_K", block: 256, bytes: 210 },
  30: { name: "BF16", block: 1, bytes: 2 },
};

const f = Math.fround;

export function refDequantize(type: number, raw: Uint8Array, count: number): Float32Array {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const half = (o: number) => v.getFloat16(o, true);
  const out = new Float32Array(count);
  const spec = REF_TYPES[type];
  if (!spec) throw new Error(`no reference for ggml type ${type}`);
  for (let e = 0; e < count; e++) {
    const blk = Math.floor(e / spec.block);
    const b = blk * spec.bytes; // block start
    const i = e % spec.block; // index in block
    switch (spec.name) {
      case "F32":
        out[e] = v.getFloat32(4 * e, true);
        break;
      case "F16":
        out[e] = half(2 * e);
        break;
      case "BF16":
        out[e] = new Float32Array(new Uint32Array([v.getUint16(2 * e, true) * 65536]).buffer)[0]!;
        break;
      case "Q8_0":
        out[e] = v.getInt8(b + 2 + i) * half(b);
        break;
      case "Q4_0": {
        const q = (raw[b + 2 + (i % 16)]! >> (i < 16 ? 0 : 4)) & 15;
        out[e] = (q - 8) * half(b);
        break;
      }
      case "Q4_1": {
        const q = (raw[b + 4 + (i % 16)]! >> (i < 16 ? 0 : 4)) & 15;
        out[e] = f(q * half(b)) + half(b + 2);
        break;
      }
      case "Q5_0":
      case "Q5_1": {
        const hasMin = spec.name === "Q5_1";
        const qh = v.getUint32(b + (hasMin ? 4 : 2), true);
        const lo = (raw[b + (hasMin ? 8 : 6) + (i % 16)]! >> (i < 16 ? 0 : 4)) & 15;
        const q = lo | (((qh >>> i) & 1) << 4); // weight i's 5th bit is bit i of qh
        out[e] = hasMin ? f(q * half(b)) + half(b + 2) : (q - 16) * half(b);
        break;
      }
      case "Q4_K":
      case "Q5_K": {
        const five = spec.name === "Q5_K";
        const sub = i >> 5; // which 32-weight sub-block (0..7)
        const l = i & 31;
        const [sc, m] = kScaleMin(raw, b + 4, sub);
        const qs = b + (five ? 48 : 16);
        let q = (raw[qs + (sub >> 1) * 32 + l]! >> ((sub & 1) * 4)) & 15;
        if (five) q += ((raw[b + 16 + l]! >> sub) & 1) * 16;
        out[e] = f(f(half(b) * sc) * q) - f(half(b + 2) * m);
        break;
      }
      case "Q6_K": {
        const n = i >> 7; // which 128-weight half
        const r = i & 127;
        const quarter = r >> 5;
        const l = r & 31;
        const low = (raw[b + n * 64 + l + (quarter & 1) * 32]! >> (quarter >= 2 ? 4 : 0)) & 15;
        const high = (raw[b + 128 + n * 32 + l]! >> (2 * quarter)) & 3;
        const scale = v.getInt8(b + 192 + n * 8 + (l >> 4) + 2 * quarter);
        out[e] = f(half(b + 208) * scale) * ((low | (high << 4)) - 32);
        break;
      }
    }
  }
  return out;
}

/** The 6-bit scale and min of sub-block j from a Q4_K/Q5_K block's 12 packed bytes at `s`. */
function kScaleMin(raw: Uint8Array, s: number, j: number): [number, number] {
  if (j < 4) return [raw[s + j]! & 63, raw[s + 4 + j]! & 63];
  return [(raw[s + 4 + j]! & 15) | ((raw[s + j - 4]! >> 6) << 4), (raw[s + 4 + j]! >> 4) | ((raw[s + j]! >> 6) << 4)];
}

export function refTensorBytes(type: number, dims: readonly number[]): number {
  const spec = REF_TYPES[type];
  if (!spec) throw new Error(`no reference for ggml type ${type}`);
  return (dims.reduce((a, b) => a * b, 1) / spec.block) * spec.bytes;
}
