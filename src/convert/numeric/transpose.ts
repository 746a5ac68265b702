/** Row-major [rows, cols] → [cols, rows], in cache-friendly blocks (weights of hundreds of MB are transposed here). */
const BLOCK = 64;

export function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  if (src.length !== rows * cols) throw new Error(`transpose: ${src.length} values for [${rows}, ${cols}]`);
  const out = new Float32Array(src.length);
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = Math.min(rows, r0 + BLOCK);
    for (let c0 = 0; c0 < cols; c0 += BLOCK) {
      const c1 = Math.min(cols, c0 + BLOCK);
      for (let r = r0; r < r1; r++) {
        const rowAt = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = src[rowAt + c]!;
      }
    }
  }
  return out;
}
