/**
 * Architecture features no factory checkpoint carries on its own, built from edited copies and checked against the
 * float64 reference: partial rotary, llama attention biases (o_proj included), GPT-2's relu and exact-GELU
 * activations; and interleaved rotary (GGUF's llama layout) with permuted q/k rows equal to rotate-half. Each in
 * both layouts the builder writes: the engine-owned KV one (the default) and the Optimum one (exports, CUDA).
 */
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { writeSafetensors } from "../../scripts/checkpoints/safetensors-writer.ts";
import type { StoredTensor } from "../../scripts/checkpoints/stored-tensor.ts";
import { CHECKPOINT_RECIPES } from "../../scripts/make-test-models.ts";
import { uniform } from "../../scripts/onnx/seeded-weights.ts";
import { buildDecoder, writeDecoderModel } from "../../src/convert/build-decoder.ts";
import { W, type DecoderCheckpoint, type WeightTensor } from "../../src/convert/decoder-architecture.ts";
import { optimumLayout } from "../../src/convert/graph/optimum-layout.ts";
import { openCheckpoint } from "../../src/convert/open-checkpoint.ts";
import { DecoderSession, maxAbsDiff } from "../models/decoder-session.ts";
import { ownedFullLogits } from "../models/owned-session.ts";
import { copyCheckpoint, editJson, scratchDir } from "./convert-fixtures.ts";
import { logSoftmax, referenceLogits, Weights } from "./reference-forward.ts";

const PROMPT = [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13, 15496, 995];
const tmp = scratchDir("decoder-variants");
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every position's logits of the graph built from `dir`, in the owned-KV layout or the Optimum one. */
async function logits(dir: string, layout: "owned" | "optimum" = "owned"): Promise<{ values: Float32Array; V: number }> {
  const out = path.join(dir, `built-${layout}`);
  const built = await buildDecoder(dir, out, layout === "optimum" ? { layout: optimumLayout({ logitsToKeep: true }) } : {});
  const a = built.architecture;
  if (layout === "owned") return { values: await ownedFullLogits(built.onnxFile, PROMPT), V: a.vocabSize };
  const d = await DecoderSession.openFile(built.onnxFile, { layers: a.layers, kvHeads: a.kvHeads, headDim: a.headDim, vocabSize: a.vocabSize });
  return { values: await d.full(PROMPT), V: a.vocabSize };
}

/** Max |Δ log-prob| between the graphs built from `dir` (both layouts) and the reference over its config and `tensors`. */
async function againstReference(dir: string, tensors: readonly StoredTensor[]): Promise<number> {
  const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
  const expected = referenceLogits(config, new Weights(tensors), PROMPT);
  let worst = 0;
  for (const layout of ["owned", "optimum"] as const) {
    const { values, V } = await logits(dir, layout);
    worst = Math.max(worst, ...PROMPT.map((_, t) => maxAbsDiff(logSoftmax(values.subarray(t * V, (t + 1) * V)), logSoftmax(expected[t]!))));
  }
  return worst;
}

const recipe = (name: string) => CHECKPOINT_RECIPES.find((r) => r.name === name)!;

describe("features from edited checkpoints match the reference", () => {
  test("partial rotary (partial_rotary_factor 0.5): half of each head rotates, the rest passes through", async () => {
    const dir = copyCheckpoint("ckpt-llama", tmp, "partial");
    editJson(path.join(dir, "config.json"), (c) => (c.partial_rotary_factor = 0.5));
    expect(await againstReference(dir, recipe("ckpt-llama").tensors())).toBeLessThan(1e-3);
  });

  test("llama attention_bias: q, k, v and o biases", async () => {
    const dir = copyCheckpoint("ckpt-llama3-rope", tmp, "biased");
    const tensors = [...recipe("ckpt-llama3-rope").tensors()];
    for (let i = 0; i < 2; i++) {
      for (const p of ["q", "k", "v", "o"]) {
        const name = `model.layers.${i}.self_attn.${p}_proj.bias`;
        tensors.push({ name, shape: [32], dtype: "F32", values: uniform(name, 32, 0.3) });
      }
    }
    writeSafetensors(path.join(dir, "model.safetensors"), tensors);
    editJson(path.join(dir, "config.json"), (c) => (c.attention_bias = true));
    expect(await againstReference(dir, tensors)).toBeLessThan(1e-3);
  });

  for (const activation of ["relu", "gelu"]) {
    test(`GPT-2 with activation_function ${activation}`, async () => {
      const dir = copyCheckpoint("ckpt-gpt2", tmp, `act-${activation}`);
      editJson(path.join(dir, "config.json"), (c) => (c.activation_function = activation));
      expect(await againstReference(dir, recipe("ckpt-gpt2").tensors())).toBeLessThan(1e-3);
    });
  }
});

test("interleaved rotary over q/k rows permuted as convert_hf_to_gguf.py does equals rotate-half over the originals", async () => {
  const checkpoint = await openCheckpoint(copyCheckpoint("ckpt-llama", tmp, "interleaved"));
  const a = checkpoint.architecture;
  if (a.positions.kind !== "rope") throw new Error("llama has rope");
  const D = a.headDim;
  // GGUF: w.reshape(heads, 2, D/2, in).swapaxes(1, 2): new row h·D + 2i + j is old row h·D + j·D/2 + i.
  const permuted = (w: WeightTensor, heads: number): WeightTensor => ({
    ...w,
    load: async () => {
      const src = await w.load();
      const width = w.shape[1]!;
      const out = new Float32Array(src.length);
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < D / 2; i++)
          for (let j = 0; j < 2; j++) out.set(src.subarray((h * D + j * (D / 2) + i) * width, (h * D + j * (D / 2) + i + 1) * width), (h * D + 2 * i + j) * width);
      return out;
    },
  });
  const weights = new Map(checkpoint.weights);
  for (let i = 0; i < a.layers; i++) {
    weights.set(W.q(i, "weight"), permuted(checkpoint.weights.get(W.q(i, "weight"))!, a.heads));
    weights.set(W.k(i, "weight"), permuted(checkpoint.weights.get(W.k(i, "weight"))!, a.kvHeads));
  }
  const gguf: DecoderCheckpoint = { ...checkpoint, architecture: { ...a, positions: { ...a.positions, interleaved: true } }, weights };
  const out = path.join(tmp, "interleaved-built");
  await writeDecoderModel(gguf, out);
  await checkpoint.close();
  const reference = await logits(path.join(tmp, "interleaved"));
  expect(maxAbsDiff(await ownedFullLogits(path.join(out, "model.onnx"), PROMPT), reference.values)).toBeLessThan(1e-4);
});
