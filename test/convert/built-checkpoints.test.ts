/**
 * Every checkpoint the factory writes, built by the converter and run with onnxruntime directly, computes what its
 * architecture computes: prompt log-probs equal an independent float64 forward (reference-forward.ts) within 1e-3,
 * greedy continuations match, cached decoding equals the full pass, and a left-padded batch row equals the row alone.
 * This is the Optimum layout (what exports declare, and what built graphs use on CUDA); the engine-owned KV layout,
 * the CPU default, is checked the same way in test/runtime/owned-kv-graph.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CHECKPOINT_RECIPES } from "../../scripts/make-test-models.ts";
import { buildDecoder, type BuiltDecoder } from "../../src/convert/build-decoder.ts";
import { optimumLayout } from "../../src/convert/graph/optimum-layout.ts";
import { argmax, DecoderSession, maxAbsDiff, positionsFromMask, range } from "../models/decoder-session.ts";
import { testModelPath } from "../models/test-models-dir.ts";
import { logSoftmax, referenceLogits, Weights } from "./reference-forward.ts";

const LOGPROB_TOLERANCE = 1e-3;
const CACHE_TOLERANCE = 1e-4;
/** "The quick brown fox jumps over the lazy dog. Hello world! I" */
const PROMPT = [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13, 15496, 995, 0, 314];
const SHORT = [15496, 995, 0, 314];
const PAD = 50256;
const GREEDY_STEPS = 8;

/** What each checkpoint must be read as (decided by the converter from its config). */
const EXPECTED: Record<string, { architecture: string; format: string }> = {
  "ckpt-gpt2": { architecture: "gpt2", format: "safetensors" },
  "ckpt-gpt2-bare": { architecture: "gpt2", format: "safetensors" },
  "ckpt-gpt2-bin": { architecture: "gpt2", format: "pytorch" },
  "ckpt-vocab-merges": { architecture: "gpt2", format: "safetensors" },
  "ckpt-gpt3dev-v1": { architecture: "gpt3dev-v1", format: "safetensors" },
  "ckpt-gpt3dev-v1-postln": { architecture: "gpt3dev-v1", format: "safetensors" },
  "ckpt-gpt3dev-v2": { architecture: "gpt3dev-v2", format: "safetensors" },
  "ckpt-llama": { architecture: "llama", format: "safetensors" },
  "ckpt-qwen2": { architecture: "qwen2", format: "safetensors" },
  "ckpt-qwen3": { architecture: "qwen3", format: "safetensors" },
  "ckpt-llama3-rope": { architecture: "llama", format: "safetensors" },
  "ckpt-mistral": { architecture: "mistral", format: "safetensors" },
};

/** A config change the reference must notice, proving the feature under test is not a no-op in this checkpoint. */
const SENSITIVITY: Record<string, Record<string, unknown>> = {
  "ckpt-gpt3dev-v1-postln": { use_pre_layernorm: true },
  "ckpt-gpt3dev-v2": { window_size: 1e9 },
  "ckpt-mistral": { sliding_window: null, rope_scaling: null },
  "ckpt-llama3-rope": { rope_scaling: null },
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "built-checkpoints-"));
const figures: string[] = [];
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  if (figures.length) console.log(`max |Δ log-prob| against the float64 reference:\n${figures.join("\n")}`);
});

test("every factory checkpoint has an expectation here", () => {
  expect(CHECKPOINT_RECIPES.map((r) => r.name).sort()).toEqual(Object.keys(EXPECTED).sort());
});

describe.each(CHECKPOINT_RECIPES.map((r) => [r.name, r] as const))("%s", (name, recipe) => {
  let built: BuiltDecoder;
  let d: DecoderSession;
  let weights: Weights;
  let V: number;
  beforeAll(async () => {
    built = await buildDecoder(testModelPath(name), path.join(tmp, name), { layout: optimumLayout({ logitsToKeep: true }) });
    const a = built.architecture;
    V = a.vocabSize;
    d = await DecoderSession.openFile(built.onnxFile, { layers: a.layers, kvHeads: a.kvHeads, headDim: a.headDim, vocabSize: V });
    weights = new Weights(recipe.tensors());
  });

  test("is read as the architecture its config describes, from its own weight files", () => {
    expect({ architecture: built.architecture.name, format: built.format }).toEqual(EXPECTED[name]!);
    expect(built.sourceFiles[0]).toBe("config.json");
    expect(fs.existsSync(built.dataFile)).toBe(true);
    const buffer = /\.attn\.(bias|masked_bias)$/; // GPT-2's causal-mask buffers are not parameters
    const stored = recipe.tensors().reduce((n, t) => n + (buffer.test(t.name) ? 0 : t.values.length), 0);
    expect(built.parameterCount).toBe(stored);
  });

  test("prompt log-probs equal an independent float64 forward within 1e-3", async () => {
    const logits = await d.full(PROMPT);
    const expected = referenceLogits(recipe.config, weights, PROMPT);
    let worst = 0;
    for (let t = 0; t < PROMPT.length; t++) {
      const got = logSoftmax(logits.subarray(t * V, (t + 1) * V));
      worst = Math.max(worst, maxAbsDiff(got, logSoftmax(expected[t]!)));
    }
    figures.push(`  ${name.padEnd(24)} ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(LOGPROB_TOLERANCE);

    const change = SENSITIVITY[name];
    if (change) {
      // The reference without the feature disagrees with the graph: the feature is really exercised.
      const without = referenceLogits({ ...recipe.config, ...change }, weights, PROMPT);
      const diff = Math.max(...PROMPT.map((_, t) => maxAbsDiff(logSoftmax(logits.subarray(t * V, (t + 1) * V)), logSoftmax(without[t]!))));
      expect(diff).toBeGreaterThan(1e-2);
    }
  });

  test("greedy continuation matches the reference's argmax, decoding through the cache", async () => {
    const tokens = [...PROMPT];
    let step = await d.run([tokens], [tokens.map(() => 1)], [range(0, tokens.length)], undefined, 1);
    expect(step.dims).toEqual([1, 1, V]); // num_logits_to_keep = 1: only the last position's logits
    const picked: number[] = [];
    const reference: number[] = [];
    for (let i = 0; i < GREEDY_STEPS; i++) {
      const next = argmax(step.logits);
      reference.push(argmax(referenceLogits(recipe.config, weights, tokens, [tokens.length - 1])[0]!));
      picked.push(next);
      tokens.push(next);
      step = await d.run([[next]], [tokens.map(() => 1)], [[tokens.length - 1]], step.cache, 1);
    }
    expect(picked).toEqual(reference);
    expect(new Set(picked).size).toBeGreaterThan(1);
  });

  test("KV-cache decoding gives the same logits as a full forward pass", async () => {
    const full = await d.full(PROMPT);
    for (const prefill of [1, 5]) expect(maxAbsDiff(await d.incremental(PROMPT, prefill), full)).toBeLessThan(CACHE_TOLERANCE);
  });

  test("a left-padded batch row equals the sequence alone", async () => {
    const alone = await d.full(SHORT);
    const pad = PROMPT.length - SHORT.length;
    const masks = [PROMPT.map(() => 1), [...Array(pad).fill(0), ...SHORT.map(() => 1)]];
    const step = await d.run([PROMPT, [...Array(pad).fill(PAD), ...SHORT]], masks, masks.map(positionsFromMask));
    expect(step.logits.every(Number.isFinite)).toBe(true);
    const row = step.logits.subarray((PROMPT.length + pad) * V, 2 * PROMPT.length * V);
    expect(maxAbsDiff(row, alone)).toBeLessThan(CACHE_TOLERANCE);
  });
});
