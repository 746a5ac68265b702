/**
 * q8 and q4 graphs stay close to fp32: the same checkpoint served three times (dtype fp32, q8, q4), the mean
 * |Δ prompt log-prob| over a 128-token English text against fp32 stays under the bounds of issue 14 (0.02 for q8,
 * 0.15 for q4). The checkpoint is GPT-2 124M's width, vocabulary and initialization with two layers
 * (ckpt-gpt2-init), which responds to quantization as the 124M model does (q8 0.009 / q4 0.11 there), so the
 * bounds bite; a floor under the q4 figure keeps the check from passing on a model too flat to notice anything.
 * Quantized graphs also generate, and /v1/models/{id} says what each computes in and what its weights take.
 */
import { afterAll, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { serverOptions, servedGreedy, servedPromptLogprobs, tempRoot, writeRegistry } from "../checkpoints/served-kit.ts";
import { useServer } from "../helpers/start-server.ts";
import { testModelPath } from "../models/test-models-dir.ts";

/**
 * GPT-2's ids of 128 tokens of English: "The history of the city begins with a small market on the river, where
 * farmers from the valley brought grain, wool and cheese … Today visitors walk along the river to see the bridge".
 */
const PROMPT = [
  464, 2106, 286, 262, 1748, 6140, 351, 257, 1402, 1910, 319, 262, 7850, 11, 810, 9818, 422, 262, 19272, 3181, 13020, 11, 25749, 290, 9891, 284, 3292,
  351, 8848, 3653, 2406, 866, 422, 262, 12269, 13, 3827, 262, 1306, 734, 10675, 262, 1910, 6348, 656, 257, 3240, 351, 257, 4928, 11, 257, 7696, 286,
  7815, 290, 257, 3355, 326, 4966, 422, 262, 7850, 284, 262, 12788, 13, 44682, 3170, 7331, 7777, 1863, 262, 1388, 4675, 11, 290, 262, 19806, 82, 1138,
  287, 257, 6899, 326, 991, 6296, 13970, 262, 6616, 13, 1649, 262, 20515, 5284, 11, 262, 1468, 3355, 373, 12445, 866, 284, 787, 2119, 329, 262, 4429,
  11, 290, 262, 3240, 4104, 2952, 1973, 262, 7032, 13, 6288, 9692, 2513, 1863, 262, 7850, 284, 766, 262, 7696,
];
const BOUND = { q8: 0.02, q4: 0.15 } as const;

const root = tempRoot("quantized-quality");
const registry = writeRegistry(root, (["fp32", "q8", "q4"] as const).map((dtype) => ({ name: `init-${dtype}`, path: testModelPath("ckpt-gpt2-init"), dtype, device: "cpu" })));
const ctx = useServer(serverOptions(registry, path.join(root, "cache")));
const figures: string[] = [];
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  if (figures.length) console.log(`quantized graphs against fp32, ${PROMPT.length}-token text:\n${figures.join("\n")}`);
});

test("mean |Δ prompt log-prob| against fp32: q8 ≤ 0.02, q4 ≤ 0.15, and q4 measurably coarser than q8", async () => {
  expect(PROMPT).toHaveLength(128);
  const base = (await servedPromptLogprobs(ctx.client, "init-fp32", PROMPT)).logprobs;
  const mean: Record<string, number> = {};
  for (const dtype of ["q8", "q4"] as const) {
    const lp = (await servedPromptLogprobs(ctx.client, `init-${dtype}`, PROMPT)).logprobs;
    expect(lp).toHaveLength(PROMPT.length - 1);
    const d = lp.map((x, i) => Math.abs(x - base[i]!));
    mean[dtype] = d.reduce((a, b) => a + b, 0) / d.length;
    figures.push(`  ${dtype}: mean |Δ log-prob| ${mean[dtype]!.toFixed(4)} (bound ${BOUND[dtype]}), max ${Math.max(...d).toFixed(3)}`);
    expect(mean[dtype]!).toBeLessThan(BOUND[dtype]);
  }
  // The weights really are quantized, and this model notices: q4 errs an order of magnitude more than q8.
  expect(mean.q8!).toBeGreaterThan(0.002);
  expect(mean.q4!).toBeGreaterThan(0.05);
  expect(mean.q4!).toBeGreaterThan(5 * mean.q8!);
});

test("quantized graphs generate through the batch loop like fp32 ones", async () => {
  for (const dtype of ["q8", "q4"]) {
    const tokens = await servedGreedy(ctx.client, `init-${dtype}`, PROMPT.slice(0, 20), 12);
    expect(tokens).toHaveLength(12);
  }
});

test("GET /v1/models/{id}: the dtype each graph computes in, and weights that shrink with it", async () => {
  const detail = async (id: string) => (await (await fetch(`${ctx.server.url}/v1/models/${id}`)).json()) as { dtype: string; build: { dtype: string; weight_bytes: number } };
  const [fp32, q8, q4] = await Promise.all(["init-fp32", "init-q8", "init-q4"].map(detail));
  expect([fp32!.dtype, q8!.dtype, q4!.dtype]).toEqual(["fp32", "q8", "q4"]);
  expect([fp32!.build.dtype, q8!.build.dtype, q4!.build.dtype]).toEqual(["fp32", "q8", "q4"]);
  // Every linear layer and the LM head become blocks of 32 n-bit values with a float32 scale each (8 bits: 1.125
  // bytes a weight, 4 bits: 0.625); the float32 embedding stays, and the tied head gets its own quantized copy.
  const E = 768;
  const linear = 2 * 12 * E * E; // two layers of qkv (3E²), out (E²), up (4E²), down (4E²)
  const head = 50257 * E;
  expect(fp32!.build.weight_bytes - q8!.build.weight_bytes).toBe(4 * linear - 1.125 * (linear + head));
  expect(q8!.build.weight_bytes - q4!.build.weight_bytes).toBe(0.5 * (linear + head));
});
