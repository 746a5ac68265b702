/**
 * Hugging Face tokenizer files (tokenizer.json, tokenizer_config.json) for a byte-level BPE vocabulary,
 * in the layout GPT-2's own files use, so transformers.js (and the Python `tokenizers`) load them unchanged.
 */
import { gpt2Vocab } from "./gpt2-vocab.ts";

export interface AddedToken {
  id: number;
  content: string;
  /** Default true. Markup tokens such as Qwen's `<tool_call>` are added but not special: they stay in decoded text. */
  special?: boolean;
}

export interface TokenizerFilesSpec {
  /** Tokens appended after GPT-2's 50256 byte-level tokens, special unless marked (e.g. `<|endoftext|>`, `<|im_start|>`). */
  specialTokens: readonly AddedToken[];
  /** tokenizer_config.json fields: tokenizer_class, bos/eos/pad/unk tokens, chat_template, model_max_length, … */
  config: Readonly<Record<string, unknown>>;
}

export interface TokenizerFiles {
  "tokenizer.json": string;
  "tokenizer_config.json": string;
}

export function tokenizerFiles(spec: TokenizerFilesSpec): TokenizerFiles {
  const vocab = gpt2Vocab();
  const tokens = [...vocab.tokens];
  for (const t of spec.specialTokens) {
    if (t.id < vocab.tokens.length) throw new Error(`special token ${t.content} would overwrite id ${t.id}`);
    tokens[t.id] = t.content;
  }
  const hole = tokens.findIndex((t) => t === undefined);
  if (hole >= 0 || tokens.length !== new Set(tokens).size) throw new Error(`token ids must be dense and unique (id ${hole})`);

  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: spec.specialTokens.map((t) => ({
      id: t.id,
      content: t.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: t.special ?? true,
    })),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: VOCAB_PLACEHOLDER,
      merges: vocab.merges,
    },
  };
  // JSON.stringify would list integer-like keys ("0", "1", …) first; write the vocab in id order instead.
  const vocabJson = `{${tokens.map((t, id) => `${JSON.stringify(t)}:${id}`).join(",")}}`;
  const tokenizerJson = JSON.stringify(tokenizer).replace(JSON.stringify(VOCAB_PLACEHOLDER), vocabJson);

  const added_tokens_decoder = Object.fromEntries(
    spec.specialTokens.map((t) => [
      String(t.id),
      { content: t.content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: t.special ?? true },
    ]),
  );
  const config = { add_bos_token: false, add_prefix_space: false, added_tokens_decoder, ...spec.config };

  return {
    "tokenizer.json": tokenizerJson,
    "tokenizer_config.json": `${JSON.stringify(config, null, 2)}\n`,
  };
}

const VOCAB_PLACEHOLDER = "@@vocab@@";

export interface SlowTokenizerFiles {
  "vocab.json": string;
  "merges.txt": string;
  "added_tokens.json"?: string;
  "special_tokens_map.json": string;
  "tokenizer_config.json": string;
}

/**
 * The same byte-level BPE as the files a slow GPT2Tokenizer saves, with no tokenizer.json: vocab.json (GPT-2's
 * 50257 entries, `<|endoftext|>` included), merges.txt (with its `#version` line), added_tokens.json for tokens
 * past the vocabulary, special_tokens_map.json and tokenizer_config.json.
 */
export function slowTokenizerFiles(spec: {
  addedTokens: readonly AddedToken[];
  specialTokensMap: Readonly<Record<string, unknown>>;
  config: Readonly<Record<string, unknown>>;
}): SlowTokenizerFiles {
  const vocab = gpt2Vocab();
  const tokens = [...vocab.tokens, "<|endoftext|>"];
  const files: SlowTokenizerFiles = {
    "vocab.json": `{${tokens.map((t, id) => `${JSON.stringify(t)}: ${id}`).join(", ")}}`,
    "merges.txt": `#version: 0.2\n${vocab.merges.join("\n")}\n`,
    "special_tokens_map.json": `${JSON.stringify(spec.specialTokensMap, null, 2)}\n`,
    "tokenizer_config.json": `${JSON.stringify({ add_prefix_space: false, ...spec.config }, null, 2)}\n`,
  };
  if (spec.addedTokens.length) {
    files["added_tokens.json"] = `${JSON.stringify(Object.fromEntries(spec.addedTokens.map((t) => [t.content, t.id])), null, 2)}\n`;
  }
  return files;
}
