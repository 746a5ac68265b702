/**
 * Hugging Face checkpoints (config.json + weights + tokenizer, no ONNX) with seeded random weights, one per
 * architecture and storage format the converter reads. Small (hidden 32, two layers) but with GPT-2's real
 * vocabulary, random norm weights and biases, so a test that builds them and checks them against an independent
 * forward notices any weight read, transposed or placed wrongly.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writePytorchBin } from "../checkpoints/pytorch-writer.ts";
import { writeSafetensors, writeShardedSafetensors } from "../checkpoints/safetensors-writer.ts";
import type { StoredTensor } from "../checkpoints/stored-tensor.ts";
import { gpt2Config, gpt2Tensors, type Gpt2Spec } from "./models/gpt2.ts";
import { gpt3devConfig, gpt3devTensors, type Gpt3devSpec } from "./models/gpt3dev.ts";
import { llamaConfig, llamaTensors, type LlamaSpec } from "./models/llama.ts";
import { ENDOFTEXT_ID, GPT2_VOCAB_SIZE, gpt2TokenizerFiles, IM_END_ID, IM_START_ID, TEST_GPT2_SMALL_SPEC, writeTextFiles, type TestModelRecipe } from "./test-model-recipes.ts";
import { slowTokenizerFiles } from "./tokenizer-files.ts";

export type CheckpointFormat =
  | { kind: "safetensors" }
  | { kind: "sharded-safetensors"; shards: number }
  | { kind: "pytorch"; sharedStorage?: Record<string, string>; transposedViews?: string[] };

export interface CheckpointRecipe extends TestModelRecipe {
  config: Record<string, unknown>;
  /** The stored tensors, by Hugging Face name, with exactly the values the files hold. */
  tensors(): StoredTensor[];
  format: CheckpointFormat;
  /** tokenizer.json (the default) or only vocab.json + merges.txt. */
  tokenizer: "tokenizer.json" | "vocab+merges";
}

const WEIGHT_FILES: Record<CheckpointFormat["kind"], string> = {
  safetensors: "model.safetensors",
  "sharded-safetensors": "model.safetensors.index.json",
  pytorch: "pytorch_model.bin",
};

function checkpoint(
  name: string,
  spec: object,
  config: Record<string, unknown>,
  tensors: () => StoredTensor[],
  format: CheckpointFormat,
  tokenizer: CheckpointRecipe["tokenizer"] = "tokenizer.json",
): CheckpointRecipe {
  const tokenizerFileNames = tokenizer === "tokenizer.json" ? ["tokenizer.json", "tokenizer_config.json"] : ["vocab.json", "merges.txt", "special_tokens_map.json", "tokenizer_config.json"];
  return {
    name,
    spec: { spec, format, tokenizer },
    config,
    tensors,
    format,
    tokenizer,
    files: ["config.json", "generation_config.json", WEIGHT_FILES[format.kind], ...tokenizerFileNames],
    async write(dir) {
      const eos = config.eos_token_id ?? ENDOFTEXT_ID;
      writeTextFiles(dir, { "config.json": config, "generation_config.json": { bos_token_id: config.bos_token_id ?? ENDOFTEXT_ID, eos_token_id: eos } });
      writeTextFiles(dir, { ...(tokenizer === "tokenizer.json" ? gpt2TokenizerFiles(1024) : chatSlowTokenizer()) });
      const t = tensors();
      if (format.kind === "safetensors") writeSafetensors(path.join(dir, "model.safetensors"), t);
      else if (format.kind === "sharded-safetensors") writeShardedSafetensors(dir, t, format.shards);
      else {
        // A state dict saved from a tied model lists the head too, pointing at the embedding's storage.
        const aliases = Object.entries(format.sharedStorage ?? {}).filter(([n]) => !t.some((x) => x.name === n));
        const extra = aliases.map(([n, target]) => ({ ...t.find((x) => x.name === target)!, name: n }));
        const { sharedStorage, transposedViews } = format;
        writePytorchBin(path.join(dir, "pytorch_model.bin"), [...t, ...extra], { sharedStorage, transposedViews, modules: ["", "transformer", "lm_head"] });
      }
      fs.writeFileSync(path.join(dir, "README.md"), `Random-weight ${name} test checkpoint written by scripts/make-test-models.ts.\n`);
    },
  };
}

/** vocab.json + merges.txt + added tokens for ChatML, as a slow GPT2Tokenizer saves them. */
function chatSlowTokenizer() {
  return slowTokenizerFiles({
    addedTokens: [
      { id: IM_START_ID, content: "<|im_start|>" },
      { id: IM_END_ID, content: "<|im_end|>" },
    ],
    specialTokensMap: {
      bos_token: "<|endoftext|>",
      eos_token: "<|im_end|>",
      unk_token: "<|endoftext|>",
      pad_token: "<|endoftext|>",
      additional_special_tokens: ["<|im_start|>", "<|im_end|>"],
    },
    config: { tokenizer_class: "GPT2Tokenizer", model_max_length: 1024, clean_up_tokenization_spaces: false },
  });
}

const ids = { bosTokenId: ENDOFTEXT_ID, eosTokenId: ENDOFTEXT_ID };
const small = { layers: 2, width: 32, heads: 4, positions: 128, vocabSize: GPT2_VOCAB_SIZE, ...ids };

function gpt2Checkpoint(name: string, spec: Gpt2Spec, format: CheckpointFormat, tokenizer?: CheckpointRecipe["tokenizer"]) {
  return checkpoint(name, spec, gpt2Config(spec), () => gpt2Tensors(spec), format, tokenizer);
}
function gpt3devCheckpoint(name: string, spec: Gpt3devSpec) {
  return checkpoint(name, spec, gpt3devConfig(spec), () => gpt3devTensors(spec), { kind: "safetensors" });
}
function llamaCheckpoint(name: string, spec: LlamaSpec, format: CheckpointFormat = { kind: "safetensors" }) {
  return checkpoint(name, spec, llamaConfig(spec), () => llamaTensors(spec), format);
}
const llamaShape = { layers: 2, hiddenSize: 32, heads: 4, kvHeads: 2, headDim: 8, intermediateSize: 64, maxPositions: 256, vocabSize: GPT2_VOCAB_SIZE, ...ids, affine: "random" } as const;

/**
 * Checkpoints for quantization quality, not architecture coverage: GPT-2 124M's width, vocabulary and
 * initialization with two layers, which responds to q8 / q4 weights as GPT-2 124M does (mean |Δ prompt log-prob|
 * 0.009 / 0.09 here, 0.009 / 0.11 on the 124M model) at a sixth of its size.
 */
export const QUALITY_RECIPES: readonly CheckpointRecipe[] = [
  gpt2Checkpoint("ckpt-gpt2-init", { layers: 2, width: 768, heads: 12, positions: 256, vocabSize: GPT2_VOCAB_SIZE, ...ids, tieWordEmbeddings: true, init: "gpt2", seed: "ckpt-gpt2-init" }, { kind: "safetensors" }),
];

/** test-gpt2-small's very weights as a checkpoint (written with `--preset small`): the benchmark builds fp32 / q8 / q4 graphs from it. */
export const BENCH_RECIPES: readonly CheckpointRecipe[] = [gpt2Checkpoint("test-gpt2-small-hf", TEST_GPT2_SMALL_SPEC, { kind: "safetensors" })];

export const CHECKPOINT_RECIPES: readonly CheckpointRecipe[] = [
  gpt2Checkpoint("ckpt-gpt2", { ...small, tieWordEmbeddings: true, affine: "random", seed: "ckpt-gpt2" }, { kind: "safetensors" }),
  gpt2Checkpoint(
    "ckpt-gpt2-bare",
    { ...small, tieWordEmbeddings: true, prefix: false, maskBuffers: true, dtype: "F16", affine: "random", seed: "ckpt-gpt2-bare" },
    { kind: "safetensors" },
  ),
  gpt2Checkpoint(
    "ckpt-gpt2-bin",
    { ...small, tieWordEmbeddings: true, maskBuffers: true, affine: "random", seed: "ckpt-gpt2-bin" },
    { kind: "pytorch", sharedStorage: { "lm_head.weight": "transformer.wte.weight" }, transposedViews: ["transformer.h.0.mlp.c_fc.weight"] },
  ),
  gpt2Checkpoint(
    "ckpt-vocab-merges",
    { ...small, vocabSize: IM_END_ID + 1, tieWordEmbeddings: false, affine: "random", seed: "ckpt-vocab-merges" },
    { kind: "safetensors" },
    "vocab+merges",
  ),
  gpt3devCheckpoint("ckpt-gpt3dev-v1", { ...small, version: 1, dHead: 16, preLayerNorm: true, seed: "ckpt-gpt3dev-v1" }),
  gpt3devCheckpoint("ckpt-gpt3dev-v1-postln", { ...small, version: 1, dHead: 8, preLayerNorm: false, seed: "ckpt-gpt3dev-v1-postln" }),
  gpt3devCheckpoint("ckpt-gpt3dev-v2", { ...small, version: 2, windowSize: 3, preLayerNorm: true, seed: "ckpt-gpt3dev-v2" }),
  llamaCheckpoint("ckpt-llama", { ...llamaShape, ropeTheta: 10000, dtype: "BF16", seed: "ckpt-llama" }, { kind: "sharded-safetensors", shards: 3 }),
  llamaCheckpoint("ckpt-qwen2", { ...llamaShape, member: "qwen2", ropeTheta: 1e6, tieWordEmbeddings: true, seed: "ckpt-qwen2" }),
  llamaCheckpoint("ckpt-qwen3", { ...llamaShape, member: "qwen3", kvHeads: 1, headDim: 16, ropeTheta: 1e6, tieWordEmbeddings: true, dtype: "BF16", seed: "ckpt-qwen3" }),
  llamaCheckpoint("ckpt-llama3-rope", {
    ...llamaShape,
    heads: 2,
    kvHeads: 2,
    headDim: 16,
    ropeTheta: 500000,
    ropeScaling: { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 },
    seed: "ckpt-llama3-rope",
  }),
  llamaCheckpoint("ckpt-mistral", { ...llamaShape, member: "mistral", slidingWindow: 4, ropeTheta: 10000, ropeScaling: { type: "linear", factor: 2 }, seed: "ckpt-mistral" }),
];
