/**
 * The sampler: each filter does what it says, and the fast candidate selection (sorting only the tokens top-k,
 * top-p and min-p can reach) picks exactly the tokens that sorting the whole vocabulary picked.
 */
import { describe, expect, test } from "bun:test";
import { Rng } from "../../src/engine/generation/rng.ts";
import { argmax, Sampler } from "../../src/engine/generation/sampler.ts";
import { DEFAULT_SAMPLING, type SamplingParams } from "../../src/engine/generation/sampling-params.ts";

const VOCAB = 50257;

/** Logits like a language model's: normal with std 2 (seeded). */
function logitsOf(seed: number, vocab = VOCAB): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(vocab);
  for (let i = 0; i < vocab; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng.next()));
    const a = 2 * Math.PI * rng.next();
    out[i] = 2 * r * Math.cos(a);
    if (i + 1 < vocab) out[i + 1] = 2 * r * Math.sin(a);
  }
  return out;
}

function sampler(params: Partial<SamplingParams>, seed = 1, prompt: number[] = []): Sampler {
  return new Sampler({ params: { ...DEFAULT_SAMPLING, ...params }, rng: new Rng(seed), vocab: VOCAB, promptIds: prompt });
}

/** The previous implementation (sort every candidate with a comparator), kept as the reference. */
function referenceSample(p: SamplingParams, rng: Rng, logits: Float32Array): number {
  const vocab = logits.length;
  const x = Float32Array.from(logits);
  const invT = 1 / p.temperature;
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) if (x[i]! > max) max = x[i]!;
  for (let i = 0; i < vocab; i++) x[i] = Math.exp((x[i]! - max) * invT);
  const floor = p.minP > 0 ? p.minP : 0;
  const cand: number[] = [];
  for (let i = 0; i < vocab; i++) if (x[i]! > 0 && x[i]! >= floor) cand.push(i);
  cand.sort((a, b) => x[b]! - x[a]! || a - b);
  let keep = cand.length;
  if (p.topK > 0) keep = Math.min(keep, p.topK);
  if (p.topP < 1) {
    let candTotal = 0;
    for (let i = 0; i < keep; i++) candTotal += x[cand[i]!]!;
    let acc = 0;
    for (let i = 0; i < keep; i++) {
      acc += x[cand[i]!]!;
      if (acc >= p.topP * candTotal) {
        keep = i + 1;
        break;
      }
    }
  }
  let kept = 0;
  for (let i = 0; i < keep; i++) kept += x[cand[i]!]!;
  let r = rng.next() * kept;
  for (let i = 0; i < keep; i++) {
    r -= x[cand[i]!]!;
    if (r < 0) return cand[i]!;
  }
  return cand[keep - 1]!;
}

describe("filters pick the same tokens as sorting the whole vocabulary", () => {
  const cases: Partial<SamplingParams>[] = [
    { topK: 1 },
    { topK: 5 },
    { topK: 40, temperature: 0.7 },
    { topK: 2000, temperature: 1.5 },
    { topP: 0.5 },
    { topP: 0.9, temperature: 0.7 },
    { topP: 0.99, temperature: 1.5 },
    { minP: 0.05 },
    { minP: 0.3, temperature: 1.3 },
    { topK: 50, topP: 0.9, minP: 0.02 },
    { topP: 0.95, minP: 0.01, temperature: 2 },
  ];
  for (const c of cases) {
    test(JSON.stringify(c), () => {
      const params = { ...DEFAULT_SAMPLING, ...c };
      for (let row = 0; row < 4; row++) {
        const logits = logitsOf(1000 + row);
        const fast = sampler(params, row);
        const ref = new Rng(row);
        for (let draw = 0; draw < 3; draw++) expect(fast.sample(logits, 0)).toBe(referenceSample(params, ref, logits));
      }
    });
  }
});

describe("each parameter", () => {
  const logits = logitsOf(7);
  const best = argmax(logits);

  test("temperature 0 is argmax; top_k 1, min_p 1 and a tiny top_p are greedy at any temperature", () => {
    expect(sampler({ temperature: 0 }).sample(logits, 0)).toBe(best);
    for (let seed = 0; seed < 5; seed++) {
      expect(sampler({ temperature: 1.5, topK: 1 }, seed).sample(logits, 0)).toBe(best);
      expect(sampler({ temperature: 1.5, minP: 1 }, seed).sample(logits, 0)).toBe(best);
      expect(sampler({ temperature: 1.5, topP: 1e-9 }, seed).sample(logits, 0)).toBe(best);
    }
  });

  test("top_k 3 only ever draws the three most likely tokens", () => {
    const top3 = [...logits.keys()].sort((a, b) => logits[b]! - logits[a]!).slice(0, 3);
    const s = sampler({ temperature: 2, topK: 3 });
    const seen = new Set<number>();
    for (let i = 0; i < 300; i++) seen.add(s.sample(logits, 0));
    expect([...seen].sort()).toEqual([...top3].sort());
  });

  test("the same seed draws the same tokens; another seed draws others", () => {
    const draws = (seed: number) => {
      const s = sampler({ temperature: 1 }, seed);
      return Array.from({ length: 20 }, () => s.sample(logits, 0));
    };
    expect(draws(3)).toEqual(draws(3));
    expect(draws(4)).not.toEqual(draws(3));
  });

  test("logit_bias +100 forces a token, -100 bans the favourite", () => {
    expect(sampler({ temperature: 0, logitBias: new Map([[42, 100]]) }).sample(logits, 0)).toBe(42);
    expect(sampler({ temperature: 0, logitBias: new Map([[best, -100]]) }).sample(logits, 0)).not.toBe(best);
  });

  test("presence and frequency penalties push generated tokens down; repetition penalty covers the prompt too", () => {
    const flat = new Float32Array(8).fill(0);
    flat[3] = 1;
    flat[5] = 0.9;
    const params = (p: Partial<SamplingParams>) => ({ ...DEFAULT_SAMPLING, temperature: 0, ...p });
    const presence = new Sampler({ params: params({ presencePenalty: 0.2 }), rng: new Rng(1), vocab: 8, promptIds: [] });
    expect(presence.sample(flat, 0)).toBe(3);
    presence.accept(3);
    expect(presence.sample(flat, 0)).toBe(5); // 1 - 0.2 < 0.9
    const frequency = new Sampler({ params: params({ frequencyPenalty: 0.06 }), rng: new Rng(1), vocab: 8, promptIds: [] });
    frequency.accept(3);
    expect(frequency.sample(flat, 0)).toBe(3); // 1 - 0.06 > 0.9
    frequency.accept(3);
    expect(frequency.sample(flat, 0)).toBe(5); // 1 - 0.12 < 0.9
    const repetition = new Sampler({ params: params({ repetitionPenalty: 1.2 }), rng: new Rng(1), vocab: 8, promptIds: [3] });
    expect(repetition.sample(flat, 0)).toBe(5); // 1 / 1.2 < 0.9, from the prompt alone
  });

  test("reads its row at an offset inside a batch's logits", () => {
    const batch = new Float32Array(VOCAB * 3);
    batch.set(logits, VOCAB * 2);
    expect(sampler({ temperature: 0 }).sample(batch, VOCAB * 2)).toBe(best);
  });
});

/** A mask (bit id&31 of word id>>5) allowing exactly `ids`. */
function maskOf(ids: number[], vocab = VOCAB): Uint32Array {
  const m = new Uint32Array(Math.ceil(vocab / 32));
  for (const id of ids) m[id >>> 5]! |= 1 << (id & 31);
  return m;
}

describe("the allowed-token mask", () => {
  const logits = logitsOf(11);
  const best = argmax(logits);

  test("a mask allowing one token forces it, whatever the sampling parameters", () => {
    const forced = best === 123 ? 124 : 123;
    const settings: Partial<SamplingParams>[] = [
      { temperature: 0 },
      { temperature: 1.3 },
      { temperature: 0.8, topK: 5 },
      { temperature: 1, topP: 0.5, minP: 0.1 },
      { temperature: 0, logitBias: new Map([[best, 100]]) },
      { temperature: 1, presencePenalty: 1, repetitionPenalty: 1.5 },
    ];
    for (const p of settings) {
      for (let seed = 0; seed < 5; seed++) expect(sampler(p, seed, [forced]).sample(logits, 0, maskOf([forced]))).toBe(forced);
    }
  });

  test("disallowed tokens are never drawn; allowed ones keep their relative odds", () => {
    const small = new Float32Array(64).map((_, i) => (i % 7) * 0.5); // favourites at 6, 13, 20, …
    const allowed = [1, 2, 3, 4];
    const s = new Sampler({ params: { ...DEFAULT_SAMPLING, temperature: 1 }, rng: new Rng(5), vocab: 64, promptIds: [] });
    const counts = new Map<number, number>();
    const draws = 4000;
    for (let i = 0; i < draws; i++) {
      const id = s.sample(small, 0, maskOf(allowed, 64));
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect([...counts.keys()].every((id) => allowed.includes(id))).toBe(true);
    const z = allowed.reduce((sum, id) => sum + Math.exp(small[id]!), 0);
    for (const id of allowed) expect(Math.abs((counts.get(id) ?? 0) / draws - Math.exp(small[id]!) / z)).toBeLessThan(0.03);
    // greedy picks the best allowed token, not the best token
    expect(sampler({ temperature: 0 }).sample(logits, 0, maskOf([best + 1 < VOCAB ? best + 1 : best - 1]))).not.toBe(best);
  });

  test("the mask is applied before logit bias: a +100 bias cannot bring back a forbidden token", () => {
    const other = best === 7 ? 8 : 7;
    expect(sampler({ temperature: 0, logitBias: new Map([[best, 100]]) }).sample(logits, 0, maskOf([other]))).toBe(other);
  });

  test("a null mask is unconstrained, and plain greedy never copies the row (reads it at its offset)", () => {
    const batch = new Float32Array(VOCAB * 2);
    batch.set(logits, VOCAB);
    expect(sampler({ temperature: 0 }).sample(batch, VOCAB, null)).toBe(best);
  });

  test("a mask that allows nothing fails the step instead of emitting a forbidden token", () => {
    expect(() => sampler({ temperature: 0 }).sample(logits, 0, new Uint32Array(Math.ceil(VOCAB / 32)))).toThrow(/allowed no token/);
    expect(() => sampler({ temperature: 1 }).sample(logits, 0, new Uint32Array(0))).toThrow(/allowed no token/);
  });
});
