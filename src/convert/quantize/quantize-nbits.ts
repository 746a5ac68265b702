/**
 * Round-to-nearest block quantization of a float32 [out, in] weight into MatMulNBits inputs (see nbits-weight.ts).
 *
 *   symmetric   no zero points: 8 bits q = round(x / d), d = absmax / 127 (as GGUF Q8_0); 4 bits d = m / −8 where m
 *               is the block's value of largest magnitude, so m lands on −8 exactly and the other side reaches +7
 *               (as GGUF Q4_0). Dequantizes as (q − 2^(bits−1)) · d.
 *   asymmetric  per-block zero point over the block's range widened to include 0 (zero stays exact):
 *               scale = (max − min) / (2^bits − 1), zp = round(−min / scale).
 */
import { blobBytes, blocksPerRow, defaultZeroPoint, zeroPointRowBytes, type NBits, type NBitsWeight } from "./nbits-weight.ts";

export interface QuantizeOptions {
  bits: NBits;
  /** 32 unless there is a reason: MatMulNBits' fast kernels and the GGUF formats use 32. */
  blockSize?: number;
  symmetric: boolean;
}

/** `weight` is [n, k] row-major: row = output (nn.Linear's layout; GPT-2 Conv1D weights must be transposed first). */
export function quantizeNBits(weight: Float32Array, n: number, k: number, opts: QuantizeOptions): NBitsWeight {
  if (weight.length !== n * k) throw new RangeError(`weight has ${weight.length} values, expected ${n}×${k}`);
  const { bits, symmetric } = opts;
  const blockSize = opts.blockSize ?? 32;
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) throw new RangeError(`block size ${blockSize} is not a power of two ≥ 16`);
  const kBlocks = blocksPerRow(k, blockSize);
  const blob = blobBytes(bits, blockSize);
  const packed = new Uint8Array(n * kBlocks * blob);
  const scales = new Float32Array(n * kBlocks);
  const zpRow = zeroPointRowBytes(bits, kBlocks);
  const zeroPoints = symmetric ? null : new Uint8Array(n * zpRow);
  const qmax = (1 << bits) - 1;
  const q = new Uint8Array(blockSize); // one block's values before packing

  for (let row = 0; row < n; row++) {
    for (let blk = 0; blk < kBlocks; blk++) {
      const start = row * k + blk * blockSize;
      const len = Math.min(blockSize, k - blk * blockSize);
      let scale: number;
      let zp: number;
      if (symmetric) {
        let m = 0;
        for (let i = 0; i < len; i++) {
          const x = weight[start + i]!;
          if (Math.abs(x) > Math.abs(m)) m = x;
        }
        zp = defaultZeroPoint(bits);
        scale = bits === 8 ? Math.abs(m) / 127 : m / -8;
      } else {
        let lo = 0;
        let hi = 0;
        for (let i = 0; i < len; i++) {
          const x = weight[start + i]!;
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
        scale = (hi - lo) / qmax;
        zp = scale === 0 ? defaultZeroPoint(bits) : Math.min(qmax, Math.max(0, Math.round(-lo / scale)));
      }
      scale = Math.fround(scale);
      const inv = scale === 0 ? 0 : 1 / scale;
      q.fill(zp);
      for (let i = 0; i < len; i++) q[i] = Math.min(qmax, Math.max(0, Math.round(weight[start + i]! * inv) + zp));
      scales[row * kBlocks + blk] = scale;
      const out = (row * kBlocks + blk) * blob;
      if (bits === 8) packed.set(q, out);
      else for (let j = 0; j < blob; j++) packed[out + j] = q[2 * j]! | (q[2 * j + 1]! << 4);
      if (zeroPoints) {
        if (bits === 8) zeroPoints[row * zpRow + blk] = zp;
        else zeroPoints[row * zpRow + (blk >> 1)]! |= blk & 1 ? zp << 4 : zp;
      }
    }
  }
  return { bits, blockSize, n, k, packed, scales, zeroPoints };
}

/** [in, out] (ONNX MatMul / GPT-2 Conv1D layout) → [out, in], the layout quantizeNBits takes. */
export function transposeToRows(weight: Float32Array, inSize: number, outSize: number): Float32Array {
  if (weight.length !== inSize * outSize) throw new RangeError(`weight has ${weight.length} values, expected ${inSize}×${outSize}`);
  const out = new Float32Array(weight.length);
  for (let i = 0; i < inSize; i++) for (let o = 0; o < outSize; o++) out[o * inSize + i] = weight[i * outSize + o]!;
  return out;
}
