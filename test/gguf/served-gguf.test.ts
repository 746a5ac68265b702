/**
 * Every GGUF fixture (written by llama.cpp's own tools) served end to end from a registry `path:` to the .gguf
 * file: the served prompt log-probs equal a float64 forward over the weights as the test's own parser and ggml
 * reference dequantizer read them (llama q/k left permuted and run with llama.cpp's interleaved rotary) within
 * 1e-3; the llama GGUF gives the same served log-probs as the Hugging Face checkpoint it was converted from,
 * served beside it; /v1/models/{id} shows the file, quantization, tensor types and the float32 memory cost. Every
 * entry names dtype fp32, so each file's weights are checked exactly as dequantized; without one a quantized file
 * runs at its own precision (test/gguf/gguf-dtype.test.ts).
 */
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { writeSafetensors } from "../../scripts/checkpoints/safetensors-writer.ts";
import { openGgufCheckpoint } from "../../src/convert/gguf/gguf-checkpoint.ts";
import { GgufFile } from "../../src/convert/gguf/gguf-file.ts";
import { ggufTokenizerFiles } from "../../src/engine/tokenizer/gguf-tokenizer.ts";
import { expectModelDetailSchema, LOGPROB_TOLERANCE, serverOptions, servedPromptLogprobs, tempRoot, worstPromptDiff, writeRegistry } from "../checkpoints/served-kit.ts";
import { useServer } from "../helpers/start-server.ts";
import { fixture, models } from "./helpers/fixtures.ts";
import { logSoftmax, referenceForward } from "./helpers/reference-forward.ts";
import { seeded } from "./helpers/seeded.ts";
import { storedWeights } from "./helpers/stored-weights.ts";

const PROMPT = [1, 5, 100, 7, 42, 300, 12, 9, 250, 3, 77, 64];

/** Each served model: its id, its file (the first shard of a split one) and every shard. */
const FIXTURES = [
  "gpt2-f32.gguf",
  "llama-f32.gguf",
  "qwen2-f32.gguf",
  "qwen2-BF16.gguf",
  "qwen3-f32-00001-of-00003.gguf",
  ...["F16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K_M", "Q5_K_M", "Q6_K"].map((q) => `tiny-llama-256-${q}.gguf`),
].map((file) => ({ id: file.replace(/\.gguf$/, ""), file, shards: file.includes("-of-") ? [1, 2, 3].map((i) => fixture(file.replace("00001-of", `0000${i}-of`))) : [fixture(file)] }));

const root = tempRoot("served-gguf");
const hfLlama = path.join(root, "llama-hf");
writeHfCheckpoint("llama-f32", hfLlama);
const registry = writeRegistry(root, [
  ...FIXTURES.map((f) => ({ name: f.id, path: fixture(f.file), dtype: "fp32", device: "cpu" })),
  { name: "llama-hf", path: hfLlama, device: "cpu" },
]);
const ctx = useServer(serverOptions(registry, path.join(root, "cache")));
const figures: string[] = [];
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  if (figures.length) console.log(`served GGUF, max |Δ log-prob| against the float64 forward over the reference-dequantized weights:\n${figures.join("\n")}`);
});

/** The HF checkpoint a fixture was made from (make_fixtures.py's seeded weights and config), with its GGUF's tokenizer. */
function writeHfCheckpoint(name: string, dir: string): void {
  const m = models()[name]!;
  const c = m.config as Record<string, number & boolean>;
  fs.mkdirSync(dir, { recursive: true });
  const config = {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_act: "silu",
    hidden_size: c.hidden,
    num_hidden_layers: c.layers,
    num_attention_heads: c.heads,
    num_key_value_heads: c.kv_heads,
    head_dim: c.head_dim,
    intermediate_size: c.intermediate,
    max_position_embeddings: c.ctx,
    rope_theta: c.theta,
    rms_norm_eps: c.eps,
    vocab_size: c.vocab,
    tie_word_embeddings: c.tied,
  };
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config));
  writeSafetensors(path.join(dir, "model.safetensors"), m.hf_tensors.map(([n, shape, scale, offset]) => ({ name: n, shape, dtype: "F32" as const, values: seeded(n, shape, scale, offset) })));
  const gguf = GgufFile.open(fixture(`${name}.gguf`));
  gguf.close();
  const tok = ggufTokenizerFiles(gguf.header.metadata);
  fs.writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify(tok.tokenizer));
  fs.writeFileSync(path.join(dir, "tokenizer_config.json"), JSON.stringify(tok.config));
}

describe.each(FIXTURES.map((f) => [f.id, f] as const))("%s", (id, f) => {
  test("served prompt log-probs equal the float64 forward over the reference-dequantized weights within 1e-3", async () => {
    const checkpoint = await openGgufCheckpoint(f.shards);
    const architecture = checkpoint.architecture;
    await checkpoint.close();
    const reference = referenceForward(architecture, storedWeights(f.shards), PROMPT, { interleavedRope: architecture.name === "llama" }).map(logSoftmax);
    const served = await servedPromptLogprobs(ctx.client, id, PROMPT);
    const worst = worstPromptDiff(served.logprobs, PROMPT, reference);
    figures.push(`  ${id.padEnd(30)} ${worst.toExponential(2)}`);
    expect(served.logprobs).toHaveLength(PROMPT.length - 1);
    expect(worst).toBeLessThan(LOGPROB_TOLERANCE);
  });

  test("GET /v1/models/{id}: the file, its quantization and tensor types, and what float32 costs", async () => {
    const d = (await (await fetch(`${ctx.server.url}/v1/models/${id}`)).json()) as Record<string, any>;
    expectModelDetailSchema(d);
    expect(d).toMatchObject({ state: "loaded", format: "gguf", source: { path: fixture(f.file) } });
    expect(d.gguf.files).toEqual(f.shards.map((p) => path.basename(p)));
    const quant = /tiny-llama-256-(.+)$/.exec(id)?.[1];
    if (quant) expect(d.gguf.file_type).toBe(quant);
    expect(Object.values(d.gguf.tensor_types as Record<string, number>).reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
    expect(d.gguf.float32_bytes).toBe(d.build.weight_bytes);
    if (quant?.startsWith("Q")) expect(d.gguf.float32_bytes).toBeGreaterThan(3 * d.gguf.stored_bytes); // what running as float32 costs
  });
});

test("the llama GGUF (q/k rows permuted by llama.cpp's converter) serves the same log-probs as the HF checkpoint it came from", async () => {
  const gguf = await servedPromptLogprobs(ctx.client, "llama-f32", PROMPT);
  const hf = await servedPromptLogprobs(ctx.client, "llama-hf", PROMPT);
  const worst = Math.max(...gguf.logprobs.map((lp, i) => Math.abs(lp - hf.logprobs[i]!)));
  figures.push(`  ${"llama-f32 vs its HF checkpoint".padEnd(30)} ${worst.toExponential(2)}`);
  expect(worst).toBeLessThan(LOGPROB_TOLERANCE);
  expect(gguf.tokens).toEqual(hf.tokens);
  const detail = (await (await fetch(`${ctx.server.url}/v1/models/llama-hf`)).json()) as Record<string, unknown>;
  expect(detail).toMatchObject({ format: "safetensors", architecture: "llama" });
});

test("a GGUF model chats with the template from its metadata", async () => {
  const r = await ctx.client.chat.completions.create({ model: "gpt2-f32", messages: [{ role: "user", content: "hi" }], max_tokens: 3 });
  expect(r.choices[0]!.message.role).toBe("assistant");
  expect(r.usage!.prompt_tokens).toBeGreaterThan(3);
});
