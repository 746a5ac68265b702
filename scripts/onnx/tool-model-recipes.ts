/**
 * Chat test models whose templates render `tools` and tool-call history the way real families do, beside
 * test-chat's plain ChatML (which gets the server's default tool format): test-hermes (Hermes / Qwen 2.5: ChatML,
 * `<tool_call>` JSON `</tool_call>`, results in `<tool_response>`) and test-llama3 (Llama 3.1: header tokens,
 * `<|eot_id|>`, JSON calls with "parameters", results in the ipython role). Same tiny llama graph as test-chat,
 * random weights, GPT-2's byte-level vocabulary plus each family's own added tokens at the same kind of ids.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { llamaConfig, llamaTensors, type LlamaSpec } from "./models/llama.ts";
import { decoderExport, ENDOFTEXT_ID, endoftext, type TestModelRecipe } from "./test-model-recipes.ts";
import { tokenizerFiles, type AddedToken } from "./tokenizer-files.ts";

const TEMPLATES = path.resolve(import.meta.dir, "..", "..", "test", "fixtures", "chat-templates");
const template = (name: string) => fs.readFileSync(path.join(TEMPLATES, name), "utf8");

interface FamilyModel {
  name: string;
  /** Added after <|endoftext|> (50256), in id order from 50257. */
  tokens: readonly Omit<AddedToken, "id">[];
  bos: string;
  /** End-of-turn first: tokenizer_config's eos_token. */
  eos: readonly string[];
  chatTemplate: string;
}

function familyModel(f: FamilyModel): TestModelRecipe {
  const added: AddedToken[] = f.tokens.map((t, i) => ({ ...t, id: ENDOFTEXT_ID + 1 + i }));
  const idOf = (content: string) => [endoftext, ...added].find((t) => t.content === content)!.id;
  const spec: LlamaSpec & { chatTemplate: string } = {
    layers: 2,
    hiddenSize: 64,
    heads: 4,
    kvHeads: 2,
    headDim: 16,
    intermediateSize: 128,
    maxPositions: 2048,
    vocabSize: ENDOFTEXT_ID + 1 + added.length,
    ropeTheta: 10000,
    bosTokenId: idOf(f.bos),
    eosTokenId: f.eos.map(idOf),
    seed: f.name,
    // In the spec so the folder's stamp changes with the template.
    chatTemplate: f.chatTemplate,
  };
  return decoderExport(
    f.name,
    spec,
    llamaConfig(spec),
    () => llamaTensors(spec),
    { bos_token_id: spec.bosTokenId, eos_token_id: spec.eosTokenId, pad_token_id: ENDOFTEXT_ID },
    () =>
      tokenizerFiles({
        specialTokens: [endoftext, ...added],
        config: {
          tokenizer_class: "GPT2Tokenizer",
          bos_token: f.bos,
          eos_token: f.eos[0],
          pad_token: "<|endoftext|>",
          unk_token: null,
          model_max_length: spec.maxPositions,
          clean_up_tokenization_spaces: false,
          chat_template: f.chatTemplate,
        },
      }),
    { name: f.name, path: f.name, dtype: "fp32", device: "cpu" },
  );
}

/** Qwen 2.5's markup: <tool_call> and friends are added tokens but not special, so they stay in the text. */
export const testHermes = familyModel({
  name: "test-hermes",
  tokens: [
    { content: "<|im_start|>" },
    { content: "<|im_end|>" },
    { content: "<tool_call>", special: false },
    { content: "</tool_call>", special: false },
    { content: "<tool_response>", special: false },
    { content: "</tool_response>", special: false },
  ],
  bos: "<|endoftext|>",
  eos: ["<|im_end|>", "<|endoftext|>"],
  chatTemplate: template("hermes-tools.jinja"),
});

/** Llama 3.1's header and end-of-turn tokens, all special (as its tokenizer has them). */
export const testLlama3 = familyModel({
  name: "test-llama3",
  tokens: [
    { content: "<|begin_of_text|>" },
    { content: "<|start_header_id|>" },
    { content: "<|end_header_id|>" },
    { content: "<|eot_id|>" },
    { content: "<|python_tag|>" },
    { content: "<|eom_id|>" },
  ],
  bos: "<|begin_of_text|>",
  eos: ["<|eot_id|>", "<|eom_id|>", "<|endoftext|>"],
  chatTemplate: template("llama3-tools.jinja"),
});

export const TOOL_MODEL_RECIPES: readonly TestModelRecipe[] = [testHermes, testLlama3];
