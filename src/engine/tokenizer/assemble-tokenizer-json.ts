/**
 * A GPT-2-style slow tokenizer's files — vocab.json, merges.txt, and optionally added_tokens.json,
 * special_tokens_map.json, tokenizer_config.json — assembled into the tokenizer.json the fast tokenizer would
 * have (transformers' GPT2Converter: byte-level BPE, ByteLevel pre-tokenizer and decoder), plus the
 * tokenizer_config with the special tokens merged in, so the engine loads them like any tokenizer.json.
 * Pure: the caller reads the files (the repo's, hence untrusted: every field is checked).
 */
import { ConvertError } from "../../convert/convert-error.ts";

export interface SlowTokenizerTexts {
  "vocab.json": string;
  "merges.txt": string;
  "added_tokens.json"?: string | null;
  "special_tokens_map.json"?: string | null;
  "tokenizer_config.json"?: string | null;
}

export interface AssembledTokenizer {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

/** The files this assembly reads, by name (vocab.json and merges.txt required). */
export const SLOW_TOKENIZER_FILES = ["vocab.json", "merges.txt", "added_tokens.json", "special_tokens_map.json", "tokenizer_config.json"] as const;

const MAX_VOCAB = 1 << 22;
const SPECIAL_KEYS = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];

interface AddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export function assembleTokenizerJson(files: SlowTokenizerTexts): AssembledTokenizer {
  const config = jsonObject(files["tokenizer_config.json"], "tokenizer_config.json") ?? {};
  const cls = config.tokenizer_class;
  if (cls !== undefined && cls !== null && cls !== "GPT2Tokenizer" && cls !== "GPT2TokenizerFast") {
    throw invalid("tokenizer_config.json", `tokenizer_class ${JSON.stringify(cls)} has no tokenizer.json, and only GPT-2's byte-level BPE can be assembled from vocab.json + merges.txt`, "unsupported_config");
  }
  const vocab = readVocab(files["vocab.json"]);
  const merges = readMerges(files["merges.txt"]);
  const specialsMap = jsonObject(files["special_tokens_map.json"], "special_tokens_map.json") ?? {};

  const added = new Map<string, AddedToken>();
  let nextId = 0;
  for (const id of vocab.values()) nextId = Math.max(nextId, id + 1);
  const add = (content: string, special: boolean, id?: number, flags: Partial<AddedToken> = {}) => {
    const seen = added.get(content);
    if (seen) {
      seen.special ||= special;
      return;
    }
    const resolved = id ?? vocab.get(content) ?? nextId++;
    added.set(content, { id: resolved, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special, ...flags });
    nextId = Math.max(nextId, resolved + 1);
  };

  const addedTokens = jsonObject(files["added_tokens.json"], "added_tokens.json") ?? {};
  for (const [content, id] of Object.entries(addedTokens)) {
    if (!isId(id)) throw invalid("added_tokens.json", `token ${JSON.stringify(content.slice(0, 40))} has id ${JSON.stringify(id)}`);
    add(content, false, id);
  }
  const decoder = config.added_tokens_decoder;
  if (decoder && typeof decoder === "object") {
    for (const [idText, t] of Object.entries(decoder as Record<string, unknown>)) {
      const id = Number(idText);
      const token = t as Partial<AddedToken> | null;
      if (!isId(id) || typeof token?.content !== "string") throw invalid("tokenizer_config.json", `added_tokens_decoder entry ${JSON.stringify(idText)} is malformed`);
      add(token.content, token.special === true, id, pickFlags(token));
    }
  }
  const specials: Record<string, unknown> = {};
  for (const key of SPECIAL_KEYS) {
    const content = tokenContent(specialsMap[key] ?? config[key]);
    if (content === null) continue;
    specials[key] = content;
    add(content, true);
  }
  const extra = specialsMap.additional_special_tokens ?? config.additional_special_tokens;
  if (Array.isArray(extra)) {
    for (const t of extra) {
      const content = tokenContent(t);
      if (content !== null) add(content, true);
    }
  }
  for (const t of added.values()) if (t.special) t.normalized = false;

  const byteLevel = { type: "ByteLevel", add_prefix_space: config.add_prefix_space === true, trim_offsets: true, use_regex: true };
  const bos = tokenContent(specials.bos_token);
  const postProcessor =
    config.add_bos_token === true && bos !== null
      ? {
          type: "TemplateProcessing",
          single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
          pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
          special_tokens: { [bos]: { id: bos, ids: [added.get(bos)!.id], tokens: [bos] } },
        }
      : { ...byteLevel, trim_offsets: false };

  const tokenizerJson = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [...added.values()].sort((a, b) => a.id - b.id),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: postProcessor,
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
      vocab: Object.fromEntries(vocab),
      merges,
    },
  };
  const tokenizerConfig = { tokenizer_class: "GPT2Tokenizer", ...specials, ...config };
  return { tokenizerJson, tokenizerConfig };
}

function readVocab(text: string): Map<string, number> {
  const json = jsonObject(text, "vocab.json");
  if (!json) throw invalid("vocab.json", "is empty");
  const vocab = new Map<string, number>();
  const used = new Set<number>();
  for (const [token, id] of Object.entries(json)) {
    if (!isId(id)) throw invalid("vocab.json", `token ${JSON.stringify(token.slice(0, 40))} has id ${JSON.stringify(id)}, not a token id`);
    if (used.has(id)) throw invalid("vocab.json", `id ${id} is given to two tokens`);
    used.add(id);
    vocab.set(token, id);
  }
  if (vocab.size === 0) throw invalid("vocab.json", "holds no tokens");
  return vocab;
}

function readMerges(text: string): string[] {
  const merges: string[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "" || (i === 0 && line.startsWith("#version"))) continue;
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 2) throw invalid("merges.txt", `line ${i + 1} is not two tokens: ${JSON.stringify(line.slice(0, 60))}`);
    merges.push(`${parts[0]} ${parts[1]}`);
  }
  return merges;
}

function jsonObject(text: string | null | undefined, file: string): Record<string, unknown> | null {
  if (text === undefined || text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalid(file, `is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw invalid(file, "is not a JSON object");
  return json as Record<string, unknown>;
}

/** A special token is a string or an AddedToken object `{content, …}`. */
function tokenContent(v: unknown): string | null {
  if (typeof v === "string" && v.length > 0) return v;
  if (v && typeof v === "object" && typeof (v as { content?: unknown }).content === "string") return (v as { content: string }).content;
  return null;
}

function pickFlags(t: Partial<AddedToken>): Partial<AddedToken> {
  const out: Partial<AddedToken> = {};
  for (const k of ["single_word", "lstrip", "rstrip", "normalized"] as const) if (typeof t[k] === "boolean") out[k] = t[k];
  return out;
}

function isId(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v < MAX_VOCAB;
}

function invalid(file: string, problem: string, code: "checkpoint_invalid" | "unsupported_config" = "checkpoint_invalid"): ConvertError {
  return new ConvertError(code, `${file}: ${problem}`, file);
}
