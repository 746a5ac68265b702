/**
 * The fixtures' "Hugging Face" weights, regenerated exactly as test/fixtures/gguf/make/make_fixtures.py's
 * seeded() makes them: offset + scale·k/1024, k ∈ [−1024, 1024) from a 32-bit hash of (tensor name, index).
 * Every value is exact in float16, so an F16 file holds them without loss.
 */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

export function seeded(name: string, shape: readonly number[], scale: number, offset = 0): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const seed = fnv1a(name);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let x = (seed + Math.imul(i, 0x9e3779b9)) >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x7feb352d) >>> 0;
    x ^= x >>> 15;
    x = Math.imul(x, 0x846ca68b) >>> 0;
    x ^= x >>> 16;
    const k = (x >>> 21) - 1024;
    out[i] = Math.fround(Math.fround(k / 1024) * scale) + offset;
  }
  return out;
}

export type HfTensorSpec = [name: string, shape: number[], scale: number, offset: number];

export interface FixtureModel {
  arch: string;
  config: Record<string, number | boolean>;
  hf_tensors: HfTensorSpec[];
}
