/**
 * A linear layer's weight in the input layout of onnxruntime's `com.microsoft.MatMulNBits` (Y = A · dequant(B)ᵀ):
 *
 *   B            uint8 [N, kBlocks, blockSize·bits/8]   row n = output n, its K inputs cut into blocks of blockSize;
 *                                                       4 bits: element 2j in the low nibble of byte j, 2j+1 high
 *   scales       float32 [N · kBlocks]                   one per block
 *   zero_points  uint8, optional                         8 bits: [N, kBlocks]; 4 bits: [N, ceil(kBlocks/2)], block
 *                                                       2j low nibble, 2j+1 high. Absent = 2^(bits−1) (8 or 128)
 *   attributes   K, N, bits, block_size (+ accuracy_level, chosen by the graph writer)
 *
 * dequant(q) = (q − zero_point) · scale. A K that is not a multiple of the block is padded with zeros in the last
 * block (the operator reads ceil(K / blockSize) blocks).
 */
export type NBits = 4 | 8;

export interface NBitsWeight {
  bits: NBits;
  blockSize: number;
  /** Outputs (rows of the [out, in] weight). */
  n: number;
  /** Inputs. */
  k: number;
  packed: Uint8Array;
  scales: Float32Array;
  /** null: every block's zero point is 2^(bits−1) (symmetric quantization, GGUF Q8_0 and Q4_0). */
  zeroPoints: Uint8Array | null;
}

export function blocksPerRow(k: number, blockSize: number): number {
  return Math.ceil(k / blockSize);
}

/** Bytes of one block of `bits`-bit values. */
export function blobBytes(bits: NBits, blockSize: number): number {
  return (blockSize * bits) / 8;
}

/** Bytes of one row of zero points. */
export function zeroPointRowBytes(bits: NBits, kBlocks: number): number {
  return bits === 8 ? kBlocks : Math.ceil(kBlocks / 2);
}

export function defaultZeroPoint(bits: NBits): number {
  return 1 << (bits - 1);
}

/** The quantized value of element `i` (0 ≤ i < blockSize) of block `blk` of row `row`. */
export function quantAt(w: NBitsWeight, row: number, blk: number, i: number): number {
  const blob = blobBytes(w.bits, w.blockSize);
  const base = (row * blocksPerRow(w.k, w.blockSize) + blk) * blob;
  if (w.bits === 8) return w.packed[base + i]!;
  const byte = w.packed[base + (i >> 1)]!;
  return i & 1 ? byte >> 4 : byte & 0x0f;
}

export function zeroPointAt(w: NBitsWeight, row: number, blk: number): number {
  if (!w.zeroPoints) return defaultZeroPoint(w.bits);
  const kBlocks = blocksPerRow(w.k, w.blockSize);
  const rowBytes = zeroPointRowBytes(w.bits, kBlocks);
  if (w.bits === 8) return w.zeroPoints[row * rowBytes + blk]!;
  const byte = w.zeroPoints[row * rowBytes + (blk >> 1)]!;
  return blk & 1 ? byte >> 4 : byte & 0x0f;
}

/** The float32 [N, K] weight the operator computes with, as MatMulNBits defines it (for tests and quality checks). */
export function dequantizeNBits(w: NBitsWeight): Float32Array {
  const out = new Float32Array(w.n * w.k);
  const kBlocks = blocksPerRow(w.k, w.blockSize);
  for (let row = 0; row < w.n; row++) {
    for (let blk = 0; blk < kBlocks; blk++) {
      const scale = w.scales[row * kBlocks + blk]!;
      const zp = zeroPointAt(w, row, blk);
      const end = Math.min(w.blockSize, w.k - blk * w.blockSize);
      for (let i = 0; i < end; i++) out[row * w.k + blk * w.blockSize + i] = (quantAt(w, row, blk, i) - zp) * scale;
    }
  }
  return out;
}
