/**
 * Just enough GGUF (v3) reading for the probes: tensor names, dims, types and bytes of a trusted file written by
 * peer-bench (make_gpt2.py / llama-quantize), plus F32 views and a Q6_K dequantizer (llama-quantize stores GPT-2's
 * tied embedding as Q6_K in Q4_0 files). Not a checkpoint reader: no validation, metadata values are skipped.
 * The converter's own GGUF reader replaces this once it lands.
 */
import * as fs from "node:fs";
import { halfToFloat } from "../../../src/convert/numeric/half-float.ts";

export interface GgufTensor {
  name: string;
  /** ggml order: dims[0] is the innermost (contiguous) one. */
  dims: number[];
  type: "F32" | "Q8_0" | "Q4_0" | "Q6_K" | `type${number}`;
  bytes: Uint8Array;
}

const TYPE_NAMES: Record<number, GgufTensor["type"]> = { 0: "F32", 8: "Q8_0", 2: "Q4_0", 14: "Q6_K" };
const TYPE_SIZE: Record<string, [number, number]> = { F32: [1, 4], Q8_0: [32, 34], Q4_0: [32, 18], Q6_K: [256, 210] };
const SCALAR_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

export function readGguf(file: string): Map<string, GgufTensor> {
  const buf = fs.readFileSync(file);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 4;
  const u32 = () => ((at += 4), view.getUint32(at - 4, true));
  const u64 = () => ((at += 8), Number(view.getBigUint64(at - 8, true)));
  const str = () => {
    const n = u64();
    at += n;
    return buf.toString("utf8", at - n, at);
  };
  const skipValue = (t: number): void => {
    if (t === 8) str();
    else if (t === 9) {
      const inner = u32();
      const n = u64();
      for (let i = 0; i < n; i++) skipValue(inner);
    } else at += SCALAR_BYTES[t]!;
  };
  if (buf.toString("latin1", 0, 4) !== "GGUF" || u32() !== 3) throw new Error(`${file} is not a GGUF v3 file`);
  const nTensors = u64();
  const nKv = u64();
  let alignment = 32;
  for (let i = 0; i < nKv; i++) {
    const key = str();
    const t = u32();
    if (key === "general.alignment") {
      alignment = view.getUint32(at, true);
    }
    skipValue(t);
  }
  const infos: { name: string; dims: number[]; type: GgufTensor["type"]; offset: number }[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = str();
    const nd = u32();
    const dims = Array.from({ length: nd }, u64);
    const t = u32();
    infos.push({ name, dims, type: TYPE_NAMES[t] ?? `type${t}`, offset: u64() });
  }
  const dataStart = Math.ceil(at / alignment) * alignment;
  const out = new Map<string, GgufTensor>();
  for (const info of infos) {
    const [per, size] = TYPE_SIZE[info.type] ?? [0, 0];
    if (!per) throw new Error(`${info.name}: GGUF type ${info.type} is not handled by this probe reader`);
    const count = info.dims.reduce((a, b) => a * b, 1);
    const start = dataStart + info.offset;
    out.set(info.name, { name: info.name, dims: info.dims, type: info.type, bytes: buf.subarray(start, start + (count / per) * size) });
  }
  return out;
}

/** Any tensor this reader knows as float32 (row-major over the reversed dims). */
export function toFloat32(t: GgufTensor): Float32Array {
  if (t.type === "F32") {
    const copy = new Uint8Array(t.bytes); // aligned copy
    return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  }
  if (t.type === "Q6_K") return dequantizeQ6K(t.bytes);
  if (t.type === "Q8_0" || t.type === "Q4_0") return dequantizeLegacy(t.type, t.bytes);
  throw new Error(`${t.name}: no float32 for ${t.type}`);
}

function dequantizeLegacy(type: "Q8_0" | "Q4_0", b: Uint8Array): Float32Array {
  const size = type === "Q8_0" ? 34 : 18;
  const blocks = b.byteLength / size;
  const out = new Float32Array(blocks * 32);
  for (let k = 0; k < blocks; k++) {
    const at = k * size;
    const d = halfToFloat(b[at]! | (b[at + 1]! << 8));
    for (let i = 0; i < 32; i++) {
      const q = type === "Q8_0" ? (b[at + 2 + i]! << 24) >> 24 : (i < 16 ? b[at + 2 + i]! & 15 : b[at + 2 + i - 16]! >> 4) - 8;
      out[k * 32 + i] = d * q;
    }
  }
  return out;
}

/** Q6_K: 256 weights = ql[128], qh[64], int8 scales[16], f16 d (ggml-quants.c dequantize_row_q6_K). */
function dequantizeQ6K(b: Uint8Array): Float32Array {
  const blocks = b.byteLength / 210;
  const out = new Float32Array(blocks * 256);
  for (let k = 0; k < blocks; k++) {
    const at = k * 210;
    const d = halfToFloat(b[at + 208]! | (b[at + 209]! << 8));
    for (let half = 0; half < 2; half++) {
      const ql = at + 64 * half;
      const qh = at + 128 + 32 * half;
      const sc = at + 192 + 8 * half;
      const y = k * 256 + 128 * half;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const s = (i: number) => (b[sc + i]! << 24) >> 24;
        const q1 = ((b[ql + l]! & 15) | (((b[qh + l]! >> 0) & 3) << 4)) - 32;
        const q2 = ((b[ql + l + 32]! & 15) | (((b[qh + l]! >> 2) & 3) << 4)) - 32;
        const q3 = ((b[ql + l]! >> 4) | (((b[qh + l]! >> 4) & 3) << 4)) - 32;
        const q4 = ((b[ql + l + 32]! >> 4) | (((b[qh + l]! >> 6) & 3) << 4)) - 32;
        out[y + l] = d * s(is) * q1;
        out[y + l + 32] = d * s(is + 2) * q2;
        out[y + l + 64] = d * s(is + 4) * q3;
        out[y + l + 96] = d * s(is + 6) * q4;
      }
    }
  }
  return out;
}
