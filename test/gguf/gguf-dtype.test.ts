/**
 * GGUF weights at the precision they are stored in. Q8_0 and Q4_0 blocks become MatMulNBits weights without
 * requantizing (they dequantize to exactly ggml's values); K-quants and other types are requantized from their
 * floats to the nearest supported width. Served without a dtype in the entry, a file runs at its own precision
 * (Q8_0 → q8, 4/5/6-bit types → q4, float files → fp32) and /v1/models/{id} says so. The fixtures' weights are
 * spread far wider than a trained or GPT-2-initialized model's (uniform, scale 0.5), so their log-probs move much
 * more under int8 activations and 4-bit weights than a real model's: the quality bounds are checked on a
 * GPT-2-like checkpoint in test/quantization; here only that the coarser form errs more.
 */
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { W, type WeightTensor } from "../../src/convert/decoder-architecture.ts";
import { openGgufCheckpoint } from "../../src/convert/gguf/gguf-checkpoint.ts";
import { keepsOwnBlocks, nbitsFromWeights } from "../../src/convert/quantize/nbits-from-weights.ts";
import { dequantizeNBits } from "../../src/convert/quantize/nbits-weight.ts";
import { serverOptions, servedGreedy, servedPromptLogprobs, tempRoot, writeRegistry } from "../checkpoints/served-kit.ts";
import { useServer } from "../helpers/start-server.ts";
import { fixture } from "./helpers/fixtures.ts";

const PROMPT = [1, 5, 100, 7, 42, 300, 12, 9, 250, 3, 77, 64, 18, 200, 11, 150];

async function weightOf(file: string, name: string): Promise<{ w: WeightTensor; close: () => Promise<void> }> {
  const c = await openGgufCheckpoint(fixture(file));
  return { w: c.weights.get(name)!, close: () => c.close() };
}

describe("GGUF blocks → MatMulNBits", () => {
  test.each([["Q8_0", 8], ["Q4_0", 4]] as const)("%s keeps its own blocks: dequantized, exactly ggml's weights", async (type, bits) => {
    const { w, close } = await weightOf(`tiny-llama-256-${type}.gguf`, W.up(0, "weight"));
    try {
      expect(w.quantized?.type).toBe(type);
      expect(keepsOwnBlocks(w, bits)).toBe(true);
      const nb = await nbitsFromWeights([w], bits, 32, (t) => t.load());
      expect(nb.bits).toBe(bits);
      expect(dequantizeNBits(nb)).toEqual(await w.load());
    } finally {
      await close();
    }
  });

  test("fused q/k/v: each part's blocks stacked, row for row", async () => {
    const c = await openGgufCheckpoint(fixture("tiny-llama-256-Q8_0.gguf"));
    try {
      const parts = [W.q(0, "weight"), W.k(0, "weight"), W.v(0, "weight")].map((n) => c.weights.get(n)!);
      const nb = await nbitsFromWeights(parts, 8, 32, (t) => t.load());
      const loaded = await Promise.all(parts.map((p) => p.load()));
      const expected = new Float32Array(loaded.reduce((n, l) => n + l.length, 0));
      let at = 0;
      for (const l of loaded) (expected.set(l, at), (at += l.length));
      expect(nb.n).toBe(parts.reduce((n, p) => n + p.shape[0]!, 0));
      expect(dequantizeNBits(nb)).toEqual(expected);
    } finally {
      await c.close();
    }
  });

  test("a K-quant (Q4_K) is requantized from its floats: close to them, not the same blocks", async () => {
    const c = await openGgufCheckpoint(fixture("tiny-llama-256-Q4_K_M.gguf"));
    try {
      const w = [...c.weights.values()].find((t) => t.quantized?.type === "Q4_K" && t.shape.length === 2)!;
      expect(keepsOwnBlocks(w, 4)).toBe(false);
      const floats = await w.load();
      const back = dequantizeNBits(await nbitsFromWeights([w], 4, 32, (t) => t.load()));
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < floats.length; i++) {
        worst = Math.max(worst, Math.abs(back[i]! - floats[i]!));
        scale = Math.max(scale, Math.abs(floats[i]!));
      }
      expect(worst).toBeGreaterThan(0);
      expect(worst).toBeLessThan(scale / 8); // within one 4-bit step of the largest weight
    } finally {
      await c.close();
    }
  });
});

describe("served without a dtype: a GGUF file runs at its own precision", () => {
  const CASES = [
    ["Q8_0", "q8"],
    ["Q4_0", "q4"],
    ["Q4_K_M", "q4"],
    ["Q6_K", "q4"],
    ["F16", "fp32"],
  ] as const;
  const root = tempRoot("gguf-dtype");
  const registry = writeRegistry(root, [
    ...CASES.map(([q]) => ({ name: `own-${q}`, path: fixture(`tiny-llama-256-${q}.gguf`), device: "cpu" })),
    ...CASES.map(([q]) => ({ name: `fp32-${q}`, path: fixture(`tiny-llama-256-${q}.gguf`), dtype: "fp32", device: "cpu" })),
  ]);
  const ctx = useServer(serverOptions(registry, path.join(root, "cache")));
  const figures: string[] = [];
  const means: Record<string, number> = {};
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
    if (figures.length) console.log(`GGUF at its own precision against the same file at fp32 (mean |Δ prompt log-prob|):\n${figures.join("\n")}`);
  });

  test.each(CASES)("%s → %s: /v1/models says so, the weights shrink, it generates", async (quant, dtype) => {
    const detail = (await (await fetch(`${ctx.server.url}/v1/models/own-${quant}`)).json()) as Record<string, any>;
    const own = await servedPromptLogprobs(ctx.client, `own-${quant}`, PROMPT);
    const fp32 = await servedPromptLogprobs(ctx.client, `fp32-${quant}`, PROMPT);
    const after = (await (await fetch(`${ctx.server.url}/v1/models/own-${quant}`)).json()) as Record<string, any>;
    expect(detail.state).toBe("not_loaded");
    expect(after).toMatchObject({ state: "loaded", dtype, build: { dtype }, gguf: { file_type: quant } });
    const d = own.logprobs.map((x, i) => Math.abs(x - fp32.logprobs[i]!));
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    means[quant] = mean;
    figures.push(`  ${quant.padEnd(7)} → ${dtype.padEnd(4)} ${mean.toExponential(2)}`);
    if (dtype === "fp32") expect(mean).toBe(0);
    else {
      expect(mean).toBeGreaterThan(0);
      expect(after.build.weight_bytes).toBeLessThan(0.5 * after.gguf.float32_bytes);
    }
    expect(await servedGreedy(ctx.client, `own-${quant}`, PROMPT, 6)).toHaveLength(6);
  });

  test("8-bit blocks err less than 4-bit ones", () => {
    expect(means.Q8_0!).toBeLessThan(means.Q4_0!);
  });
});
