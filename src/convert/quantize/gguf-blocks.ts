/**
 * GGUF's legacy block quantizations mapped onto MatMulNBits inputs without requantizing: every block keeps its
 * quantized values and its scale, so the dequantized weights are exactly the ones llama.cpp computes with.
 *
 *   Q8_0  34 bytes per 32 weights: f16 d, then 32 int8 q;               w = d · q
 *         → 8 bits, byte q + 128, zero point 128 (the default)
 *   Q4_0  18 bytes per 32 weights: f16 d, then 16 bytes; byte j holds    w = d · (q − 8)
 *         weight j in its low nibble and weight j + 16 in its high one
 *         → 4 bits, repacked so weight 2j is the low nibble of byte j, zero point 8 (the default)
 *
 * A GGUF tensor of ggml dims {K, N} (ne0 = K innermost) is N rows of K weights, blocks running along K: the same
 * row-major block order as MatMulNBits' B [N, kBlocks, blob], so blocks are converted in place of each other.
 * The f16 d becomes a float32 scale exactly.
 */
import { ConvertError } from "../convert-error.ts";
import { halfToFloat } from "../numeric/half-float.ts";
import type { NBitsWeight } from "./nbits-weight.ts";

export type GgufBlockType = "Q8_0" | "Q4_0";

const QK = 32;
const BLOCK_BYTES: Record<GgufBlockType, number> = { Q8_0: 34, Q4_0: 18 };

export function isMappableGgufBlockType(type: string): type is GgufBlockType {
  return type === "Q8_0" || type === "Q4_0";
}

/** Stored bytes of an [n, k] tensor of this block type. */
export function ggufBlockBytes(type: GgufBlockType, n: number, k: number): number {
  return (n * k * BLOCK_BYTES[type]) / QK;
}

/**
 * `raw` holds the n × k/32 blocks of an [n, k] tensor (row = output) as stored. `origin` names the tensor in
 * errors (file: tensor), since a bad size here means a malformed checkpoint.
 */
export function ggufBlocksToNBits(type: GgufBlockType, raw: Uint8Array, n: number, k: number, origin: string): NBitsWeight {
  if (k % QK !== 0) throw new ConvertError("checkpoint_invalid", `${origin}: ${type} rows of ${k} weights are not whole blocks of ${QK}`);
  if (raw.byteLength !== ggufBlockBytes(type, n, k)) {
    throw new ConvertError("checkpoint_invalid", `${origin}: ${raw.byteLength} bytes, ${type} [${n}, ${k}] needs ${ggufBlockBytes(type, n, k)}`);
  }
  const blocks = (n * k) / QK;
  const scales = new Float32Array(blocks);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const size = BLOCK_BYTES[type];
  if (type === "Q8_0") {
    const packed = new Uint8Array(blocks * QK);
    for (let b = 0; b < blocks; b++) {
      const at = b * size;
      scales[b] = halfToFloat(view.getUint16(at, true));
      // int8 q → uint8 q + 128: flipping the sign bit is exactly that, for every byte
      for (let i = 0; i < QK; i++) packed[b * QK + i] = raw[at + 2 + i]! ^ 0x80;
    }
    return { bits: 8, blockSize: QK, n, k, packed, scales, zeroPoints: null };
  }
  const packed = new Uint8Array(blocks * (QK / 2));
  const q = new Uint8Array(QK);
  for (let b = 0; b < blocks; b++) {
    const at = b * size;
    scales[b] = halfToFloat(view.getUint16(at, true));
    for (let j = 0; j < QK / 2; j++) {
      const byte = raw[at + 2 + j]!;
      q[j] = byte & 0x0f;
      q[j + QK / 2] = byte >> 4;
    }
    for (let j = 0; j < QK / 2; j++) packed[b * (QK / 2) + j] = q[2 * j]! | (q[2 * j + 1]! << 4);
  }
  return { bits: 4, blockSize: QK, n, k, packed, scales, zeroPoints: null };
}
