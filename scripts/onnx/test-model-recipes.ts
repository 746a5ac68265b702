/**
 * The test models this project ships a recipe for: architecture spec, tokenizer, Hugging Face config files and the
 * server registry entry of each. Sizes are chosen so the three default models build in about a second and run
 * generation in milliseconds, while exercising the real vocabulary and the full KV-cache / padding machinery.
 */
import { bertConfig, bertGraph, type BertSpec } from "./models/bert.ts";
import { gpt2Config, gpt2Graph, type Gpt2Spec } from "./models/gpt2.ts";
import { llamaConfig, llamaGraph, type LlamaSpec } from "./models/llama.ts";
import type { ModelProto } from "./onnx-proto.ts";
import { tokenizerFiles, type TokenizerFiles } from "./tokenizer-files.ts";

/** GPT-2's end-of-text token; BOS, EOS and (for test-chat and test-embed) padding. */
export const ENDOFTEXT_ID = 50256;
export const IM_START_ID = 50257;
export const IM_END_ID = 50258;
const GPT2_VOCAB_SIZE = 50257;

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

export interface TestModelRecipe {
  name: string;
  /** Everything that determines the output besides the code; hashed into the folder's stamp. */
  spec: Gpt2Spec | LlamaSpec | BertSpec;
  registry: RegistryEntry;
  graph(): ModelProto;
  jsonFiles(): Record<string, unknown>;
  tokenizer(): TokenizerFiles;
}

const endoftext = { id: ENDOFTEXT_ID, content: "<|endoftext|>" };

function gpt2Recipe(name: string, spec: Gpt2Spec): TestModelRecipe {
  return {
    name,
    spec,
    registry: { name, path: name, dtype: "fp32", device: "cpu", tiktoken_encoding: "gpt2" },
    graph: () => gpt2Graph(spec),
    jsonFiles: () => ({
      "config.json": gpt2Config(spec),
      "generation_config.json": { bos_token_id: ENDOFTEXT_ID, eos_token_id: ENDOFTEXT_ID },
    }),
    // Like the real GPT-2: no padding token (a server must bring its own for batches).
    tokenizer: () =>
      tokenizerFiles({
        specialTokens: [endoftext],
        config: {
          tokenizer_class: "GPT2Tokenizer",
          bos_token: "<|endoftext|>",
          eos_token: "<|endoftext|>",
          unk_token: "<|endoftext|>",
          model_max_length: spec.positions,
          clean_up_tokenization_spaces: false,
        },
      }),
  };
}

const testGpt2 = gpt2Recipe("test-gpt2", {
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
const testGpt2Small = gpt2Recipe("test-gpt2-small", {
  layers: 12,
  width: 768,
  heads: 12,
  positions: 1024,
  vocabSize: GPT2_VOCAB_SIZE,
  bosTokenId: ENDOFTEXT_ID,
  eosTokenId: ENDOFTEXT_ID,
  tieWordEmbeddings: true, // as GPT-2 124M: keeps the file at ≈500 MB
  seed: "test-gpt2-small",
});

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

const testChat: TestModelRecipe = {
  name: "test-chat",
  spec: chatSpec,
  registry: { name: "test-chat", path: "test-chat", dtype: "fp32", device: "cpu" },
  graph: () => llamaGraph(chatSpec),
  jsonFiles: () => ({
    "config.json": llamaConfig(chatSpec),
    "generation_config.json": {
      bos_token_id: ENDOFTEXT_ID,
      eos_token_id: [IM_END_ID, ENDOFTEXT_ID],
      pad_token_id: ENDOFTEXT_ID,
    },
  }),
  tokenizer: () =>
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
};

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
  graph: () => bertGraph(embedSpec),
  jsonFiles: () => ({
    "config.json": bertConfig(embedSpec),
    "generation_config.json": { pad_token_id: ENDOFTEXT_ID },
  }),
  tokenizer: () =>
    tokenizerFiles({
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
    }),
};

export const DEFAULT_RECIPES: readonly TestModelRecipe[] = [testGpt2, testChat, testEmbed];
export const SMALL_PRESET_RECIPES: readonly TestModelRecipe[] = [...DEFAULT_RECIPES, testGpt2Small];
