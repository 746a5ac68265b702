/**
 * Llama 3.1+ rope scaling, which convert_hf_to_gguf.py stores not as metadata but as a `rope_freqs.weight` tensor
 * of per-frequency divisors computed from (factor, low_freq_factor, high_freq_factor,
 * original_max_position_embeddings). The graph writer takes the parameters (transformers' `rope_scaling`), so
 * they are recovered here and checked by recomputing every stored factor from them.
 *
 * The stored factors are 1 (high frequencies), `factor` (low frequencies) and, between,
 * 1 / ((1 − s)/factor + s) with s = (original / wavelength − low) / (high − low): linear in 1/wavelength, so two
 * smooth points fix (original/(high − low), low/(high − low)); low = 1 (every Llama 3.x release) fixes the rest.
 */
import { ConvertError } from "../convert-error.ts";
import type { RopeScaling } from "../decoder-architecture.ts";

type Llama3 = Extract<RopeScaling, { type: "llama3" }>;

/** convert_hf_to_gguf.py's computation of the stored factors, in float64. */
export function llama3RopeFactors(p: Omit<Llama3, "type">, theta: number, dim: number): number[] {
  const lowWavelen = p.originalMaxPositions / p.lowFreqFactor;
  const highWavelen = p.originalMaxPositions / p.highFreqFactor;
  const out: number[] = [];
  for (let i = 0; i < dim; i += 2) {
    const freq = 1 / theta ** (i / dim);
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highWavelen) out.push(1);
    else if (wavelen > lowWavelen) out.push(p.factor);
    else {
      const smooth = (p.originalMaxPositions / wavelen - p.lowFreqFactor) / (p.highFreqFactor - p.lowFreqFactor);
      out.push(1 / ((1 - smooth) / p.factor + smooth));
    }
  }
  return out;
}

function matches(p: Omit<Llama3, "type">, factors: Float32Array, theta: number, dim: number): boolean {
  const again = llama3RopeFactors(p, theta, dim);
  return again.length === factors.length && again.every((f, i) => Math.abs(f - factors[i]!) <= 1e-5 * Math.max(1, Math.abs(f)));
}

export function fitLlama3RopeScaling(factors: Float32Array, theta: number, dim: number, file: string): RopeScaling | null {
  const fail = (why: string) => new ConvertError("unsupported_config", `${file}: rope_freqs.weight ${why}`, file);
  if (factors.length !== dim / 2) throw fail(`has ${factors.length} factors for a rotary dimension of ${dim} (expected ${dim / 2})`);
  if (factors.every((f) => f === 1)) return null;
  const factor = Math.max(...factors);
  if (!(factor > 1) || factors.some((f) => !(f >= 1))) throw fail("is not a Llama 3 rope scaling (factors below 1)");

  const candidates: Omit<Llama3, "type">[] = [{ factor, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 }];
  // Fit the smooth region: 1/f = (1 − s)/factor + s ⇒ s; s = a/wavelength + b.
  const points: [number, number][] = [];
  for (let i = 0; i < factors.length; i++) {
    const f = factors[i]!;
    if (f > 1 + 1e-6 && f < factor * (1 - 1e-6)) {
      const s = (1 / f - 1 / factor) / (1 - 1 / factor);
      const wavelen = (2 * Math.PI) * theta ** ((2 * i) / dim);
      points.push([1 / wavelen, s]);
    }
  }
  if (points.length >= 2) {
    const [x0, y0] = points[0]!;
    const [x1, y1] = points[points.length - 1]!;
    const a = (y1 - y0) / (x1 - x0);
    const b = y0 - a * x0;
    if (b < 0) {
      const spread = -1 / b; // high − low, with low = 1
      candidates.push({ factor, lowFreqFactor: 1, highFreqFactor: 1 + spread, originalMaxPositions: a * spread });
    }
  }
  for (const c of candidates) {
    if (!matches(c, factors, theta, dim)) continue;
    // The fit carries float noise (8191.99…); the configs people wrote are round numbers.
    const round = (x: number) => Math.round(x * 1e4) / 1e4;
    const tidy = { factor: round(c.factor), lowFreqFactor: round(c.lowFreqFactor), highFreqFactor: round(c.highFreqFactor), originalMaxPositions: Math.round(c.originalMaxPositions) };
    return { type: "llama3", ...(matches(tidy, factors, theta, dim) ? tidy : c) };
  }
  throw fail("holds factors that no Llama 3 rope scaling reproduces");
}
