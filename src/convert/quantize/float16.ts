/**
 * IEEE 754 binary16 → float32, exactly (every half is representable as a float), for the f16 block scales of GGUF
 * quantized tensors. A table of all 65536 values costs 256 KiB once and makes decoding a lookup.
 */
let table: Float32Array | null = null;

function decode(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

export function halfToFloat(h: number): number {
  if (!table) {
    table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) table[i] = decode(i);
  }
  return table[h & 0xffff]!;
}
