/**
 * Logical [out, in] weights → one MatMulNBits weight, their rows stacked (q, k and v fused into one matrix).
 * A GGUF part stored as Q8_0 (for 8 bits) or Q4_0 (for 4 bits) keeps its own blocks, so it computes with exactly
 * llama.cpp's weights; every other part (float checkpoints, K-quants, other widths) is quantized from its floats.
 */
import type { WeightTensor } from "../decoder-architecture.ts";
import { ggufBlocksToNBits, isMappableGgufBlockType } from "./gguf-blocks.ts";
import type { NBits, NBitsWeight } from "./nbits-weight.ts";
import { quantizeNBits } from "./quantize-nbits.ts";

const NATIVE: Record<NBits, string> = { 8: "Q8_0", 4: "Q4_0" };

/** Whether `w` maps onto `bits`-bit MatMulNBits without requantizing. */
export function keepsOwnBlocks(w: WeightTensor, bits: NBits): boolean {
  return w.quantized !== undefined && w.quantized.type === NATIVE[bits] && isMappableGgufBlockType(w.quantized.type);
}

/**
 * `loadFloats` reads a part's float32 values (checked against its shape by the caller). Every part has `k` inputs;
 * the result has Σ rows outputs, part 0's rows first.
 */
export async function nbitsFromWeights(
  parts: readonly WeightTensor[],
  bits: NBits,
  blockSize: number,
  loadFloats: (w: WeightTensor) => Promise<Float32Array>,
): Promise<NBitsWeight> {
  const k = parts[0]!.shape[1]!;
  const pieces: NBitsWeight[] = [];
  for (const p of parts) {
    const n = p.shape[0]!;
    if (keepsOwnBlocks(p, bits) && blockSize === 32) pieces.push(ggufBlocksToNBits(NATIVE[bits] as "Q8_0" | "Q4_0", await p.quantized!.load(), n, k, p.origin));
    else pieces.push(quantizeNBits(await loadFloats(p), n, k, { bits, blockSize, symmetric: true }));
  }
  return pieces.length === 1 ? pieces[0]! : stackRows(pieces);
}

/** Rows of several weights with the same K, bits and block size, one after another (no zero points). */
function stackRows(pieces: readonly NBitsWeight[]): NBitsWeight {
  const first = pieces[0]!;
  const n = pieces.reduce((s, p) => s + p.n, 0);
  const packed = new Uint8Array(pieces.reduce((s, p) => s + p.packed.length, 0));
  const scales = new Float32Array(pieces.reduce((s, p) => s + p.scales.length, 0));
  let at = 0;
  let sat = 0;
  for (const p of pieces) {
    if (p.k !== first.k || p.bits !== first.bits || p.blockSize !== first.blockSize || p.zeroPoints) throw new Error("stacked weights must share K, bits and block size, without zero points");
    packed.set(p.packed, at);
    scales.set(p.scales, sat);
    at += p.packed.length;
    sat += p.scales.length;
  }
  return { bits: first.bits, blockSize: first.blockSize, n, k: first.k, packed, scales, zeroPoints: null };
}
