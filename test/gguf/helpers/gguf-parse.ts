/**
 * A deliberately plain GGUF reader for the tests (trusting, whole file in memory), written from the format
 * description and independent of src/convert/gguf, so the converter's reader is checked against something.
 */
import { readFileSync } from "node:fs";

export interface RefTensor {
  name: string;
  /** ggml dims, innermost first. */
  dims: number[];
  type: number;
  /** Absolute offset in the file. */
  offset: number;
}

export interface RefGguf {
  bytes: Uint8Array;
  kv: Map<string, unknown>;
  tensors: RefTensor[];
}

export function parseGgufForTest(path: string): RefGguf {
  const bytes = new Uint8Array(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const u32 = () => ((at += 4), view.getUint32(at - 4, true));
  const u64 = () => ((at += 8), Number(view.getBigUint64(at - 8, true)));
  const str = () => {
    const n = u64();
    at += n;
    return new TextDecoder().decode(bytes.subarray(at - n, at));
  };
  const scalar = (t: number): unknown => {
    switch (t) {
      case 0: return ((at += 1), view.getUint8(at - 1));
      case 1: return ((at += 1), view.getInt8(at - 1));
      case 2: return ((at += 2), view.getUint16(at - 2, true));
      case 3: return ((at += 2), view.getInt16(at - 2, true));
      case 4: return u32();
      case 5: return ((at += 4), view.getInt32(at - 4, true));
      case 6: return ((at += 4), view.getFloat32(at - 4, true));
      case 7: return ((at += 1), view.getUint8(at - 1) !== 0);
      case 8: return str();
      case 10: return u64();
      case 11: return ((at += 8), Number(view.getBigInt64(at - 8, true)));
      case 12: return ((at += 8), view.getFloat64(at - 8, true));
      default: throw new Error(`value type ${t}`);
    }
  };
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== "GGUF") throw new Error("magic");
  at = 4;
  u32();
  const nTensors = u64();
  const nKv = u64();
  const kv = new Map<string, unknown>();
  for (let i = 0; i < nKv; i++) {
    const key = str();
    const t = u32();
    if (t === 9) {
      const itemType = u32();
      const n = u64();
      kv.set(key, Array.from({ length: n }, () => scalar(itemType)));
    } else kv.set(key, scalar(t));
  }
  const infos: RefTensor[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = str();
    const nd = u32();
    const dims = Array.from({ length: nd }, () => u64());
    const type = u32();
    infos.push({ name, dims, type, offset: u64() });
  }
  const align = (kv.get("general.alignment") as number | undefined) ?? 32;
  const data = Math.ceil(at / align) * align;
  for (const t of infos) t.offset += data;
  return { bytes, kv, tensors: infos };
}
