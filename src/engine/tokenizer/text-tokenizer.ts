import * as transformers from "@huggingface/transformers";
import type { Tiktoken } from "tiktoken";
import { byteLevelBytes } from "./byte-level.ts";
import { readTokenizerFiles } from "./read-tokenizer-files.ts";

type HfTokenizer = transformers.PreTrainedTokenizer;
type TokenizerClass = new (json: object, config: object) => HfTokenizer;

/** The roles a chat template sees (an OpenAI `developer` message is rendered as `system`). */
export type TemplateRole = "system" | "user" | "assistant" | "tool";

export interface ChatMessageForTemplate {
  role: TemplateRole;
  content: string;
  name?: string;
  /** An assistant turn's calls, in the Hugging Face convention (arguments as an object where they parse). */
  tool_calls?: { id: string; type: "function"; function: { name: string; arguments: unknown } }[];
  /** A tool result's call id. */
  tool_call_id?: string;
}

/**
 * The model's own tokenizer (tokenizer.json through transformers.js), optionally with a tiktoken encoding that
 * gives the same ids faster. Prompt and completion tokens are both counted with it, so usage is exact.
 */
export class TextTokenizer {
  readonly vocabSize: number;
  readonly specialIds: ReadonlySet<number>;
  readonly eosTokenId: number | null;
  readonly bosTokenId: number | null;
  private readonly byteLevel: boolean;
  /** SentencePiece-style pieces: spaces spelled "▁", unknown bytes as <0xNN> tokens. */
  private readonly metaspace: boolean;
  private readonly byteFallback: boolean;
  private readonly prependsSpace: boolean;
  private readonly pieces: (string | undefined)[];

  private constructor(
    private readonly hf: HfTokenizer,
    json: {
      decoder?: { type?: string; decoders?: { type?: string; pattern?: { String?: string } }[] } | null;
      model?: { vocab?: Record<string, number> | [string, number][]; byte_fallback?: boolean };
      added_tokens?: { id: number; content: string }[];
      pre_tokenizer?: { type?: string; prepend_scheme?: string; add_prefix_space?: boolean } | null;
      normalizer?: { type?: string; normalizers?: { type?: string; prepend?: string }[]; prepend?: string } | null;
    },
    readonly chatTemplate: string | null,
    private readonly tiktoken: Tiktoken | null,
  ) {
    const vocab = hf.get_vocab() as Map<string, number> | Record<string, number>;
    const entries: [string, number][] = vocab instanceof Map ? [...vocab.entries()] : Object.entries(vocab);
    let max = -1;
    this.pieces = [];
    for (const [piece, id] of entries) {
      this.pieces[id] = piece;
      if (id > max) max = id;
    }
    this.vocabSize = max + 1;
    this.specialIds = new Set(hf.all_special_ids as number[]);
    this.eosTokenId = typeof hf.eos_token_id === "number" ? hf.eos_token_id : null;
    this.bosTokenId = typeof hf.bos_token_id === "number" ? hf.bos_token_id : null;
    const d = json.decoder;
    this.byteLevel = d?.type === "ByteLevel" || (d?.decoders ?? []).some((x) => x.type === "ByteLevel");
    this.metaspace = json.model?.byte_fallback === true && (d?.decoders ?? []).some((x) => x.type === "Replace" && x.pattern?.String === "▁");
    this.byteFallback = !this.byteLevel && (json.model?.byte_fallback === true || (d?.decoders ?? []).some((x) => x.type === "ByteFallback"));
    // SentencePiece-style vocabularies put "▁" before the first word (Metaspace pre-tokenizer or a Prepend normalizer).
    const pre = json.pre_tokenizer;
    const norm = json.normalizer;
    this.prependsSpace =
      (pre?.type === "Metaspace" && pre.prepend_scheme !== "never" && pre.add_prefix_space !== false) ||
      norm?.type === "Prepend" || (norm?.normalizers ?? []).some((n) => n.type === "Prepend");
  }

  /** A SentencePiece piece's bytes: <0xNN> is that byte, "▁" a space. */
  private metaspaceBytes(id: number): number[] | null {
    const piece = this.pieces[id];
    if (!this.metaspace || piece === undefined || this.specialIds.has(id)) return null;
    const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
    return byte ? [Number.parseInt(byte[1]!, 16)] : [...Buffer.from(piece.replaceAll("▁", " "), "utf8")];
  }

  /** From a model folder: tokenizer.json or vocab.json + merges.txt, tokenizer_config.json, chat_template.jinja. */
  static async load(dir: string, opts: { chatTemplate: string | null; tiktoken: Tiktoken | null }): Promise<TextTokenizer> {
    const { tokenizerJson, tokenizerConfig } = await readTokenizerFiles(dir);
    return TextTokenizer.fromJson(tokenizerJson, tokenizerConfig, opts);
  }

  /** From the parsed tokenizer.json and tokenizer_config.json (e.g. built from a GGUF file's metadata). */
  static fromJson(json: object, config: Record<string, unknown>, opts: { chatTemplate: string | null; tiktoken: Tiktoken | null }): TextTokenizer {
    // Pick the tokenizer class the way AutoTokenizer does, without its file loader (we already have the files).
    const name = typeof config.tokenizer_class === "string" ? config.tokenizer_class.replace(/Fast$/, "") : "PreTrainedTokenizer";
    const exported = (transformers as unknown as Record<string, unknown>)[name];
    const Cls = (typeof exported === "function" && name.endsWith("Tokenizer") ? exported : transformers.PreTrainedTokenizer) as unknown as TokenizerClass;
    const hf = new Cls(json, config);
    let template = opts.chatTemplate ?? (hf.chat_template as unknown as string | Record<string, string> | null) ?? null;
    if (template && typeof template === "object") template = template.default ?? Object.values(template)[0] ?? null;
    return new TextTokenizer(hf, json, (template as string | null) || null, opts.tiktoken);
  }

  /** Ids of `text`; special tokens of the template (BOS) are added only when asked, as for raw completions. */
  encode(text: string, addSpecialTokens = true): number[] {
    if (this.tiktoken && !(addSpecialTokens && this.addsSpecialTokens())) {
      // "all": special-token text (e.g. "<|endoftext|>") maps to its id, as the HF tokenizer does.
      return Array.from(this.tiktoken.encode(text, "all"));
    }
    return this.hf.encode(text, { add_special_tokens: addSpecialTokens });
  }

  private addsSpecialTokensCache: boolean | null = null;
  private addsSpecialTokens(): boolean {
    if (this.addsSpecialTokensCache === null) {
      this.addsSpecialTokensCache = this.hf.encode("a", { add_special_tokens: true }).length !== this.hf.encode("a", { add_special_tokens: false }).length;
    }
    return this.addsSpecialTokensCache;
  }

  decode(ids: readonly number[], skipSpecialTokens = true): string {
    if (ids.length === 0) return "";
    return this.hf.decode(ids as number[], { skip_special_tokens: skipSpecialTokens, clean_up_tokenization_spaces: false });
  }

  /** The text of one token as logprobs show it (special tokens by name). */
  tokenText(id: number): string {
    // Decoding one SentencePiece token alone would strip its leading space and garble a byte token.
    const bytes = this.metaspaceBytes(id);
    if (bytes) return Buffer.from(bytes).toString("utf8");
    return this.hf.decode([id], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  /** The exact bytes of one token: from the byte-level alphabet where the vocabulary uses it, else UTF-8. */
  tokenBytes(id: number): number[] {
    const spm = this.metaspaceBytes(id);
    if (spm) return spm;
    const piece = this.pieces[id];
    if (this.byteLevel && piece !== undefined && !this.specialIds.has(id)) {
      const bytes = byteLevelBytes(piece);
      if (bytes) return bytes;
    }
    return [...Buffer.from(this.tokenText(id), "utf8")];
  }

  /**
   * The vocabulary as a grammar engine reads it: each id's stored string (special tokens blanked, so they can never
   * be spelled inside constrained text), and how those strings encode bytes.
   */
  grammarVocabulary(): { pieces: string[]; kind: "byte_level" | "byte_fallback" | "raw"; prependSpace: boolean } {
    const pieces = Array.from({ length: this.vocabSize }, (_, id) => (this.specialIds.has(id) ? "" : (this.pieces[id] ?? "")));
    return { pieces, kind: this.byteLevel ? "byte_level" : this.byteFallback ? "byte_fallback" : "raw", prependSpace: this.prependsSpace };
  }

  hasToken(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.vocabSize && this.pieces[id] !== undefined;
  }

  idOf(piece: string): number | undefined {
    const id = this.pieces.indexOf(piece);
    return id >= 0 ? id : undefined;
  }

  /** The prompt text of a conversation, from the model's chat template (Jinja). */
  renderChat(messages: ChatMessageForTemplate[], addGenerationPrompt: boolean, tools: object[] | null = null): string {
    if (!this.chatTemplate) throw new Error("no chat template");
    return this.hf.apply_chat_template(messages as never, {
      chat_template: this.chatTemplate,
      add_generation_prompt: addGenerationPrompt,
      tokenize: false,
      ...(tools ? { tools } : {}),
    }) as unknown as string;
  }
}
