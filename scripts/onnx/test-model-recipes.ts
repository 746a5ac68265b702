/**
 * The test models this project ships a recipe for: ONNX exports (test-gpt2, test-chat, test-embed; the tool-calling
 * chat models are in tool-model-recipes.ts) with their tokenizer, Hugging Face config files and registry entry. Sizes are chosen so the default models build in
 * about a second and run generation in milliseconds, while exercising the real vocabulary and the full KV-cache /
 * padding machinery. The decoder exports are written by the converter's own graph writer from seeded checkpoints.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writeDecoderExport } from "../checkpoints/decoder-export.ts";
import type { StoredTensor } from "../checkpoints/stored-tensor.ts";
import { writeModel } from "../../src/convert/onnx/model-writer.ts";
import { bertConfig, bertGraph, type BertSpec } from "./models/bert.ts";
import { gpt2Config, gpt2Tensors, type Gpt2Spec } from "./models/gpt2.ts";
import { llamaConfig, llamaTensors, type LlamaSpec } from "./models/llama.ts";
import { tokenizerFiles, type TokenizerFiles } from "./tokenizer-files.ts";

/** GPT-2's end-of-text token; BOS, EOS and (for test-chat and test-embed) padding. */
export const ENDOFTEXT_ID = 50256;
export const IM_START_ID = 50257;
export const IM_END_ID = 50258;
export const GPT2_VOCAB_SIZE = 50257;

/** ChatML, as Qwen and others use it; any role (system, user, assistant, tool) renders the same way. */
export const CHATML_TEMPLATE = [
  "{%- for message in messages %}",
  "{{- '<|im_start|>' + message['role'] + '\\n' }}",
  "{%- if message['content'] is string %}{{- message['content'] }}{%- endif %}",
  "{{- '<|im_end|>\\n' }}",
  "{%- endfor %}",
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}",
].join("\n");

/** One entry of the server's registry.yaml (the server issue defines the format). */
export interface RegistryEntry {
  name: string;
  path: string;
  dtype?: "fp32";
  task?: "embeddings";
  pooling?: "mean";
  normalize?: boolean;
  device: "cpu";
  tiktoken_encoding?: "gpt2";
}

/** One folder the factory writes. */
export interface TestModelRecipe {
  name: string;
  /** Everything that determines the output besides the code; hashed into the folder's stamp. */
  spec: unknown;
  /** Its registry.yaml entry; none for the checkpoints, which the engine does not load yet. */
  registry?: RegistryEntry;
  /** Files a complete folder holds, relative to it. */
  files: readonly string[];
  write(dir: string): Promise<void>;
}

export const endoftext = { id: ENDOFTEXT_ID, content: "<|endoftext|>" };

/** GPT-2's own tokenizer files: no padding token (a server must bring its own for batches). */
export function gpt2TokenizerFiles(maxLength: number): TokenizerFiles {
  return tokenizerFiles({
    specialTokens: [endoftext],
    config: {
      tokenizer_class: "GPT2Tokenizer",
      bos_token: "<|endoftext|>",
      eos_token: "<|endoftext|>",
      unk_token: "<|endoftext|>",
      model_max_length: maxLength,
      clean_up_tokenization_spaces: false,
    },
  });
}

export function writeTextFiles(dir: string, files: Readonly<Record<string, unknown>>): void {
  for (const [name, value] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), typeof value === "string" ? value : `${JSON.stringify(value, null, 2)}\n`);
  }
}

const EXPORT_FILES = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"];

export function decoderExport(
  name: string,
  spec: Gpt2Spec | LlamaSpec,
  config: Record<string, unknown>,
  tensors: () => StoredTensor[],
  generation: Record<string, unknown>,
  tokenizer: () => TokenizerFiles,
  registry: RegistryEntry,
): TestModelRecipe {
  return {
    name,
    spec,
    registry,
    files: EXPORT_FILES,
    async write(dir) {
      writeTextFiles(dir, { "config.json": config, "generation_config.json": generation, ...tokenizer() });
      await writeDecoderExport(config, tensors(), path.join(dir, "onnx"));
    },
  };
}

function gpt2Export(name: string, spec: Gpt2Spec): TestModelRecipe {
  return decoderExport(
    name,
    spec,
    gpt2Config(spec),
    () => gpt2Tensors(spec),
    { bos_token_id: ENDOFTEXT_ID, eos_token_id: ENDOFTEXT_ID },
    () => gpt2TokenizerFiles(spec.positions),
    { name, path: name, dtype: "fp32", device: "cpu", tiktoken_encoding: "gpt2" },
  );
}

const testGpt2 = gpt2Export("test-gpt2", {
  layers: 2,
  width: 64,
  heads: 4,
  positions: 1024,
  vocabSize: GPT2_VOCAB_SIZE,
  bosTokenId: ENDOFTEXT_ID,
  eosTokenId: ENDOFTEXT_ID,
  tieWordEmbeddings: false,
  seed: "test-gpt2",
});

/** GPT-2 124M's shape, for benchmarks (≈500 MB fp32); written only with `--preset small`. */
export const TEST_GPT2_SMALL_SPEC: Gpt2Spec = {
  layers: 12,
  width: 768,
  heads: 12,
  positions: 1024,
  vocabSize: GPT2_VOCAB_SIZE,
  bosTokenId: ENDOFTEXT_ID,
  eosTokenId: ENDOFTEXT_ID,
  tieWordEmbeddings: true, // as GPT-2 124M: keeps the file at ≈500 MB
  seed: "test-gpt2-small",
  wholeCharacterOutput: true, // llama-server, beside it in the benchmark, fails streams that end mid-character
};
const testGpt2Small = gpt2Export("test-gpt2-small", TEST_GPT2_SMALL_SPEC);

const chatSpec: LlamaSpec = {
  layers: 2,
  hiddenSize: 64,
  heads: 4,
  kvHeads: 2,
  headDim: 16,
  intermediateSize: 128,
  maxPositions: 2048,
  vocabSize: IM_END_ID + 1,
  ropeTheta: 10000,
  bosTokenId: ENDOFTEXT_ID,
  eosTokenId: [IM_END_ID, ENDOFTEXT_ID],
  seed: "test-chat",
};

const testChat = decoderExport(
  "test-chat",
  chatSpec,
  llamaConfig(chatSpec),
  () => llamaTensors(chatSpec),
  { bos_token_id: ENDOFTEXT_ID, eos_token_id: [IM_END_ID, ENDOFTEXT_ID], pad_token_id: ENDOFTEXT_ID },
  () =>
    tokenizerFiles({
      specialTokens: [endoftext, { id: IM_START_ID, content: "<|im_start|>" }, { id: IM_END_ID, content: "<|im_end|>" }],
      config: {
        tokenizer_class: "GPT2Tokenizer",
        bos_token: "<|endoftext|>",
        eos_token: "<|im_end|>",
        pad_token: "<|endoftext|>",
        unk_token: null,
        model_max_length: chatSpec.maxPositions,
        clean_up_tokenization_spaces: false,
        chat_template: CHATML_TEMPLATE,
      },
    }),
  { name: "test-chat", path: "test-chat", dtype: "fp32", device: "cpu" },
);

const embedSpec: BertSpec = {
  layers: 2,
  hiddenSize: 64,
  heads: 4,
  intermediateSize: 256,
  maxPositions: 512,
  typeVocabSize: 2,
  vocabSize: GPT2_VOCAB_SIZE,
  padTokenId: ENDOFTEXT_ID,
  seed: "test-embed",
};

const testEmbed: TestModelRecipe = {
  name: "test-embed",
  spec: embedSpec,
  registry: { name: "test-embed", path: "test-embed", task: "embeddings", pooling: "mean", normalize: true, device: "cpu" },
  files: EXPORT_FILES,
  async write(dir) {
    const tokenizer = tokenizerFiles({
      specialTokens: [endoftext],
      config: {
        tokenizer_class: "GPT2Tokenizer",
        bos_token: "<|endoftext|>",
        eos_token: "<|endoftext|>",
        pad_token: "<|endoftext|>",
        unk_token: "<|endoftext|>",
        model_max_length: embedSpec.maxPositions,
        clean_up_tokenization_spaces: false,
      },
    });
    writeTextFiles(dir, { "config.json": bertConfig(embedSpec), "generation_config.json": { pad_token_id: ENDOFTEXT_ID }, ...tokenizer });
    fs.mkdirSync(path.join(dir, "onnx"), { recursive: true });
    await writeModel(bertGraph(embedSpec), path.join(dir, "onnx", "model.onnx"));
  },
};

export const EXPORT_RECIPES: readonly TestModelRecipe[] = [testGpt2, testChat, testEmbed];
export const SMALL_PRESET_EXPORTS: readonly TestModelRecipe[] = [...EXPORT_RECIPES, testGpt2Small];
