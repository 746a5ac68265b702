/**
 * A GGUF file's tokenizer, from its metadata alone, as the Hugging Face files (tokenizer.json +
 * tokenizer_config.json) that TextTokenizer loads unchanged, built to tokenize exactly as llama.cpp does
 * (src/llama-vocab.cpp):
 *   - `tokenizer.ggml.model` "gpt2": byte-level BPE over the GGUF's tokens and merges, after llama.cpp's split
 *     regexes for `tokenizer.ggml.pre` (gguf-pre-tokenizers.ts);
 *   - "llama": SentencePiece — ' ' as '▁', a '▁' before every text fragment (add_space_prefix), pairs merged
 *     best score first, unknown characters as <0xNN> byte tokens. Expressed as BPE whose merge list ranks every
 *     split of every token by that token's score, which is the same greedy choice.
 * Control, user-defined and unknown tokens are matched in the text before anything else (llama.cpp's
 * tokenizer_st_partition; the server always parses special tokens, as llama-server does). BOS/EOS follow
 * llama.cpp's defaults and the file's add_bos_token / add_eos_token.
 */
import { ConvertError } from "../../convert/convert-error.ts";
import type { GgufMetadata } from "../../convert/gguf/gguf-metadata.ts";
import { ggufEndOfGenerationIds } from "../../convert/gguf/gguf-special-tokens.ts";
import { preTokenizerRule } from "./gguf-pre-tokenizers.ts";
import { TextTokenizer } from "./text-tokenizer.ts";

/** llama.cpp's token types (llama.h llama_token_type). */
const TokenType = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

export const SUPPORTED_TOKENIZER_MODELS = ["gpt2", "llama"] as const;

export interface TokenizerFilesJson {
  tokenizer: Record<string, unknown>;
  config: Record<string, unknown>;
}

interface Vocab {
  tokens: string[];
  types: ArrayLike<number>;
}

function readVocab(meta: GgufMetadata): Vocab {
  const file = meta.file;
  const listed = meta.stringArray("tokenizer.ggml.tokens");
  if (!listed || listed.length === 0) throw new ConvertError("checkpoint_invalid", `${file}: no tokenizer.ggml.tokens`, file);
  // llama.cpp names empty tokens rather than dropping them, so ids stay put.
  const tokens = listed.map((t, i) => (t === "" ? `[EMPTY_${i}]` : t));
  const types = meta.numberArray("tokenizer.ggml.token_type") ?? new Int32Array(tokens.length).fill(TokenType.normal);
  if (types.length < tokens.length) throw new ConvertError("checkpoint_invalid", `${file}: tokenizer.ggml.token_type has ${types.length} entries for ${tokens.length} tokens`, file);
  const seen = new Set<string>();
  for (const t of tokens) {
    if (seen.has(t)) throw new ConvertError("checkpoint_invalid", `${file}: token ${JSON.stringify(t)} appears twice in tokenizer.ggml.tokens`, file);
    seen.add(t);
  }
  return { tokens, types };
}

/** An id from the metadata, or llama.cpp's default for the model when the key is absent or out of range. */
function specialId(meta: GgufMetadata, key: string, fallback: number | null, size: number): number | null {
  const id = meta.count(`tokenizer.ggml.${key}_token_id`);
  if (id !== undefined && id < size) return id;
  return fallback !== null && fallback < size ? fallback : null;
}

export function ggufTokenizerFiles(meta: GgufMetadata): TokenizerFilesJson {
  const file = meta.file;
  const model = meta.string("tokenizer.ggml.model");
  if (model !== "gpt2" && model !== "llama") {
    throw new ConvertError("unsupported_config", `${file}: tokenizer.ggml.model ${model ?? "(missing)"} is not supported (supported: ${SUPPORTED_TOKENIZER_MODELS.join(", ")})`, file);
  }
  const vocab = readVocab(meta);
  const n = vocab.tokens.length;
  const spm = model === "llama";
  const rule = spm ? null : preTokenizerRule(meta.string("tokenizer.ggml.pre"), file);

  const bos = specialId(meta, "bos", spm ? 1 : 11, n);
  const eos = specialId(meta, "eos", spm ? 2 : 11, n);
  const unk = specialId(meta, "unknown", spm ? 0 : null, n);
  const pad = specialId(meta, "padding", null, n);
  const addBos = meta.bool("tokenizer.ggml.add_bos_token") ?? (spm ? true : rule!.addBos);
  const addEos = meta.bool("tokenizer.ggml.add_eos_token") ?? false;
  const addSpacePrefix = spm && (meta.bool("tokenizer.ggml.add_space_prefix") ?? true);

  // What llama.cpp partitions out of the text first: control, user-defined and unknown tokens, and the
  // end-of-generation tokens it recognises by name (which it forces to control).
  const eog = new Set(ggufEndOfGenerationIds(meta));
  const added: Record<string, unknown>[] = [];
  for (let id = 0; id < n; id++) {
    const type = vocab.types[id]!;
    const control = type === TokenType.control || type === TokenType.unknown || (eog.has(id) && type !== TokenType.userDefined);
    if (!control && type !== TokenType.userDefined) continue;
    added.push({ id, content: vocab.tokens[id], single_word: false, lstrip: false, rstrip: false, normalized: false, special: control });
  }

  const post = bosEosTemplate(vocab.tokens, addBos ? bos : null, addEos ? eos : null);
  const tokenizer: Record<string, unknown> = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: spm
      ? { type: "Sequence", normalizers: [...(addSpacePrefix ? [{ type: "Prepend", prepend: "▁" }] : []), { type: "Replace", pattern: { String: " " }, content: "▁" }] }
      : null,
    pre_tokenizer: spm
      ? null
      : {
          type: "Sequence",
          pretokenizers: [
            ...rule!.splits.map((regex) => ({ type: "Split", pattern: { Regex: regex }, behavior: "Isolated", invert: false })),
            { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
          ],
        },
    post_processor: post,
    decoder: spm
      ? {
          type: "Sequence",
          decoders: [
            { type: "Replace", pattern: { String: "▁" }, content: " " },
            { type: "ByteFallback" },
            { type: "Fuse" },
            ...(addSpacePrefix ? [{ type: "Strip", content: " ", start: 1, stop: 0 }] : []),
          ],
        }
      : { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: unk === null ? null : vocab.tokens[unk],
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: spm,
      byte_fallback: spm,
      ignore_merges: rule?.ignoreMerges ?? false,
      vocab: Object.fromEntries(vocab.tokens.map((t, id) => [t, id])),
      merges: spm ? scoreMerges(meta, vocab) : bpeMerges(meta),
    },
  };

  const name = (id: number | null) => (id === null ? null : vocab.tokens[id]);
  const config: Record<string, unknown> = {
    tokenizer_class: "PreTrainedTokenizerFast",
    bos_token: name(bos),
    eos_token: name(eos),
    unk_token: name(unk),
    pad_token: name(pad),
    add_bos_token: addBos,
    add_eos_token: addEos,
    clean_up_tokenization_spaces: false,
    legacy: true,
    chat_template: meta.string("tokenizer.chat_template") ?? null,
  };
  return { tokenizer, config };
}

function bosEosTemplate(tokens: readonly string[], bos: number | null, eos: number | null): Record<string, unknown> | null {
  if (bos === null && eos === null) return null;
  const piece = (id: number) => ({ SpecialToken: { id: tokens[id], type_id: 0 } });
  const single = [...(bos === null ? [] : [piece(bos)]), { Sequence: { id: "A", type_id: 0 } }, ...(eos === null ? [] : [piece(eos)])];
  const pair = [...single, ...(bos === null ? [] : [piece(bos)]), { Sequence: { id: "B", type_id: 1 } }, ...(eos === null ? [] : [piece(eos)])];
  const specials: Record<string, unknown> = {};
  for (const id of [bos, eos]) if (id !== null) specials[tokens[id]!] = { id: tokens[id], ids: [id], tokens: [tokens[id]] };
  return { type: "TemplateProcessing", single, pair, special_tokens: specials };
}

/** GGUF merges are "left right", split at the first space after the first character (as llama.cpp does). */
function bpeMerges(meta: GgufMetadata): [string, string][] {
  const file = meta.file;
  const merges = meta.stringArray("tokenizer.ggml.merges");
  if (!merges) throw new ConvertError("checkpoint_invalid", `${file}: a gpt2 tokenizer needs tokenizer.ggml.merges`, file);
  return merges.map((m) => {
    const at = m.indexOf(" ", 1);
    return at < 0 ? [m, ""] : [m.slice(0, at), m.slice(at + 1)];
  });
}

/**
 * SentencePiece's greedy "merge the adjacent pair whose concatenation scores best" as a BPE merge list: every
 * split of every token into two parts that can be symbols (tokens or single characters), ranked by the token's
 * score, best first.
 */
function scoreMerges(meta: GgufMetadata, vocab: Vocab): [string, string][] {
  const scores = meta.numberArray("tokenizer.ggml.scores");
  const ids = new Map(vocab.tokens.map((t, id) => [t, id]));
  const symbol = (s: string) => ids.has(s) || [...s].length === 1;
  const found: { left: string; right: string; score: number; id: number; at: number }[] = [];
  vocab.tokens.forEach((token, id) => {
    const chars = [...token];
    if (chars.length < 2) return;
    const score = scores?.[id] ?? 0;
    let left = "";
    for (let at = 1; at < chars.length; at++) {
      left += chars[at - 1];
      const right = chars.slice(at).join("");
      if (symbol(left) && symbol(right)) found.push({ left, right, score, id, at });
    }
  });
  found.sort((a, b) => b.score - a.score || a.id - b.id || a.at - b.at);
  return found.map((m) => [m.left, m.right]);
}

/** The engine's tokenizer for a GGUF model, from its metadata. */
export function ggufTextTokenizer(meta: GgufMetadata): TextTokenizer {
  const { tokenizer, config } = ggufTokenizerFiles(meta);
  return TextTokenizer.fromJson(tokenizer, config, { chatTemplate: null, tiktoken: null });
}
