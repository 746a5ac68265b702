/**
 * Every factory checkpoint served end to end: the real server, given only each checkpoint's folder (config +
 * weights + tokenizer, no ONNX), builds a graph into its model cache on first use and serves it. The prompt
 * log-probs it serves equal an independent float64 forward (test/convert/reference-forward.ts, not the builder's
 * graph) within 1e-3, its greedy continuation is the reference's argmax at every step, and /v1/models/{id} says
 * what each model is.
 */
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { CHECKPOINT_RECIPES } from "../../scripts/make-test-models.ts";
import { useServer } from "../helpers/start-server.ts";
import { testModelPath } from "../models/test-models-dir.ts";
import { logSoftmax, referenceLogits, Weights } from "../convert/reference-forward.ts";
import { argmax, expectModelDetailSchema, LOGPROB_TOLERANCE, serverOptions, servedGreedy, servedPromptLogprobs, tempRoot, worstPromptDiff, writeRegistry } from "./served-kit.ts";

/** "The quick brown fox jumps over the lazy dog. Hello world! I" */
const PROMPT = [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13, 15496, 995, 0, 314];
const GREEDY_STEPS = 8;

/** What /v1/models/{id} must say each one is. */
const EXPECTED: Record<string, { format: string; architecture: string }> = {
  "ckpt-gpt2": { format: "safetensors", architecture: "gpt2" },
  "ckpt-gpt2-bare": { format: "safetensors", architecture: "gpt2" },
  "ckpt-gpt2-bin": { format: "pytorch", architecture: "gpt2" },
  "ckpt-vocab-merges": { format: "safetensors", architecture: "gpt2" },
  "ckpt-gpt3dev-v1": { format: "safetensors", architecture: "gpt3dev-v1" },
  "ckpt-gpt3dev-v1-postln": { format: "safetensors", architecture: "gpt3dev-v1" },
  "ckpt-gpt3dev-v2": { format: "safetensors", architecture: "gpt3dev-v2" },
  "ckpt-llama": { format: "safetensors", architecture: "llama" },
  "ckpt-qwen2": { format: "safetensors", architecture: "qwen2" },
  "ckpt-qwen3": { format: "safetensors", architecture: "qwen3" },
  "ckpt-llama3-rope": { format: "safetensors", architecture: "llama" },
  "ckpt-mistral": { format: "safetensors", architecture: "mistral" },
};

const root = tempRoot("served-checkpoints");
const cacheDir = path.join(root, "cache");
const registry = writeRegistry(root, CHECKPOINT_RECIPES.map((r) => ({ name: r.name, path: testModelPath(r.name), device: "cpu" })));
/** Every file of the checkpoints' folders with its size and modification time, before the server sees them. */
const snapshot = () => CHECKPOINT_RECIPES.flatMap((r) => fs.readdirSync(testModelPath(r.name)).map((f) => {
  const s = fs.statSync(path.join(testModelPath(r.name), f));
  return `${r.name}/${f} ${s.size} ${s.mtimeMs}`;
}));
const before = snapshot();
const ctx = useServer(serverOptions(registry, cacheDir));
const figures: string[] = [];
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  if (figures.length) console.log(`served checkpoints, max |Δ log-prob| against the float64 reference:\n${figures.join("\n")}`);
});

test("every factory checkpoint is served here", () => {
  expect(CHECKPOINT_RECIPES.map((r) => r.name).sort()).toEqual(Object.keys(EXPECTED).sort());
});

describe.each(CHECKPOINT_RECIPES.map((r) => [r.name, r] as const))("%s", (name, recipe) => {
  const weights = () => new Weights(recipe.tensors());

  test("served prompt log-probs equal the float64 forward within 1e-3", async () => {
    const served = await servedPromptLogprobs(ctx.client, name, PROMPT);
    const reference = referenceLogits(recipe.config, weights(), PROMPT).map(logSoftmax);
    const worst = worstPromptDiff(served.logprobs, PROMPT, reference);
    figures.push(`  ${name.padEnd(24)} ${worst.toExponential(2)}`);
    expect(served.logprobs).toHaveLength(PROMPT.length - 1);
    expect(worst).toBeLessThan(LOGPROB_TOLERANCE);
  });

  test("the greedy continuation is the reference's argmax at every step", async () => {
    const w = weights();
    const tokens = [...PROMPT];
    for (let i = 0; i < GREEDY_STEPS; i++) tokens.push(argmax(referenceLogits(recipe.config, w, tokens, [tokens.length - 1])[0]!));
    const continuation = tokens.slice(PROMPT.length);
    expect(new Set(continuation).size).toBeGreaterThan(1);
    // The reference's ids as the server spells tokens (scoring echoes them), against what the server generated.
    const spelled = (await servedPromptLogprobs(ctx.client, name, tokens)).tokens.slice(PROMPT.length);
    expect(await servedGreedy(ctx.client, name, PROMPT, GREEDY_STEPS)).toEqual(spelled);
  });

  test("GET /v1/models/{id} says what it is: format, architecture, parameter count, the build", async () => {
    const d = (await (await fetch(`${ctx.server.url}/v1/models/${name}`)).json()) as Record<string, unknown>;
    const buffer = /\.attn\.(bias|masked_bias)$/; // GPT-2's causal-mask buffers are not parameters
    const parameters = recipe.tensors().reduce((n, t) => n + (buffer.test(t.name) ? 0 : t.values.length), 0);
    expectModelDetailSchema(d);
    expect(d).toMatchObject({ state: "loaded", ...EXPECTED[name], parameters, build: { dtype: "fp32", weight_bytes: expect.any(Number) } });
  });
});

test("the builds went into the model cache, one folder per checkpoint, and nothing into the checkpoints' folders", () => {
  const builds = fs.readdirSync(path.join(cacheDir, "builds")).sort();
  expect(builds).toHaveLength(CHECKPOINT_RECIPES.length);
  for (const b of builds) expect(fs.readdirSync(path.join(cacheDir, "builds", b)).sort()).toEqual(["build.json", "model.onnx", "model.onnx_data"]);
  expect(snapshot()).toEqual(before);
  expect(ctx.server.stderr().match(/^build: \S+: built /gm)).toHaveLength(CHECKPOINT_RECIPES.length);
});
