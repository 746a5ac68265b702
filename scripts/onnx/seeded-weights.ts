/**
 * Deterministic pseudo-random weights. Each tensor gets its own stream, seeded from (model seed, tensor name),
 * so adding or resizing one tensor never changes the others, and every run writes the same bytes.
 */

/** FNV-1a, 32-bit: a stable string hash for seeding. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Uniform values in [-a, a) with standard deviation `std` (a = std·√3), from mulberry32: tiny and fast enough to
 * fill GPT-2 124M (≈124M floats) in well under a second. A normal distribution is not needed for a test model.
 */
export function uniform(seed: string, count: number, std: number): Float32Array {
  const out = new Float32Array(count);
  const scale = (std * Math.sqrt(3) * 2) / 4294967296;
  const offset = std * Math.sqrt(3);
  let s = fnv1a(seed) | 0;
  for (let i = 0; i < count; i++) {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((t ^ (t >>> 14)) >>> 0) * scale - offset;
  }
  return out;
}

/**
 * Normal values with mean 0 and standard deviation `std` (Box–Muller over the same kind of stream), for test models
 * that should behave like GPT-2 at initialization rather than like uniform noise (quantization quality checks).
 */
export function normal(seed: string, count: number, std: number): Float32Array {
  const u = uniform(seed, count + (count & 1), Math.sqrt(1 / 12)); // uniform on [-0.5, 0.5)
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(Math.max(0.5 - u[i]!, 2 ** -32))) * std; // u is stored as float32: 0.5 can occur
    const a = 2 * Math.PI * (u[i + 1]! + 0.5);
    out[i] = r * Math.cos(a);
    if (i + 1 < count) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

export function count(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
