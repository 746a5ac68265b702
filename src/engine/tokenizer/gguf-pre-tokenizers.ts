/**
 * `tokenizer.ggml.pre` → how llama.cpp splits text before BPE (src/llama-vocab.cpp, llm_tokenizer_bpe): a list of
 * regexes applied in turn, each splitting every piece into its matches and the text between them, plus the flags
 * the name sets. The regexes are llama.cpp's own (its "adapted" forms, which spell out case-insensitive groups and
 * treat non-ASCII letters as both cases, as its collapsed-codepoint matcher does), so splits agree with it.
 */
import { ConvertError } from "../../convert/convert-error.ts";

export interface PreTokenizerRule {
  /** Regexes applied in order (HF `Split` with behavior Isolated). */
  splits: readonly string[];
  /** A pre-token that is itself in the vocabulary is emitted whole, without merges (llama3, tekken). */
  ignoreMerges: boolean;
  /** llama.cpp's add_bos default for this name (the GGUF's add_bos_token still wins). */
  addBos: boolean;
}

const GPT2 = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`;
const CONTRACTIONS = String.raw`(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])`;
const LLAMA3 = String.raw`${CONTRACTIONS}|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const QWEN2 = String.raw`${CONTRACTIONS}|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const UPPER = String.raw`((?=[\p{L}])([^a-z]))`;
const LOWER = String.raw`((?=[\p{L}])([^A-Z]))`;
const GPT4O = String.raw`[^\r\n\p{L}\p{N}]?${UPPER}*${LOWER}+${CONTRACTIONS}?|[^\r\n\p{L}\p{N}]?${UPPER}+${LOWER}*${CONTRACTIONS}?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const TEKKEN = String.raw`[^\r\n\p{L}\p{N}]?${UPPER}*${LOWER}+|[^\r\n\p{L}\p{N}]?${UPPER}+${LOWER}*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
// Regex escapes, not literal characters: several of these code points (U+1FD3, U+2126, U+212A, …) are
// canonically equivalent to others, and an editor's normalization would silently change the ranges.
const DEEPSEEK_LETTERS = String.raw`A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\u{10400}-\u{1044F}\u{104B0}-\u{104D3}\u{104D8}-\u{104FB}\u{10C80}-\u{10CB2}\u{10CC0}-\u{10CF2}\u{118A0}-\u{118DF}\u{1E900}-\u{1E943}`;
const CJK = String.raw`[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+`;

const rule = (splits: string[], flags: Partial<Omit<PreTokenizerRule, "splits">> = {}): PreTokenizerRule => ({
  splits,
  ignoreMerges: flags.ignoreMerges ?? false,
  addBos: flags.addBos ?? false,
});

const DEFAULT = rule([String.raw`[\p{P}\$\+<=>\^~\|]+`, GPT2, String.raw`\p{N}+`, "[0-9][0-9][0-9]"]);
const GPT2_RULE = rule([GPT2]);
const LLAMA3_RULE = rule([LLAMA3], { ignoreMerges: true, addBos: true });
const STARCODER = rule([String.raw`\p{N}`, GPT2]);
const QWEN2_RULE = rule([QWEN2]);

/** Every name llama.cpp maps onto one of these rules (its aliases included). */
const RULES: Readonly<Record<string, PreTokenizerRule>> = {
  default: DEFAULT,
  ...Object.fromEntries(["gpt-2", "phi-2", "mpt", "olmo", "jais", "jina-es", "jina-de", "jina-v2-es", "jina-v2-de", "gigachat", "a.x-4.0", "mellum", "trillion", "granite-docling", "exaone4"].map((n) => [n, GPT2_RULE])),
  ...Object.fromEntries(["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2"].map((n) => [n, LLAMA3_RULE])),
  dbrx: rule([LLAMA3]),
  "smaug-bpe": rule([LLAMA3]),
  ...Object.fromEntries(["qwen2", "deepseek-r1-qwen", "megrez", "stablelm2", "hunyuan", "solar-open", "kormo", "f2llmv2"].map((n) => [n, QWEN2_RULE])),
  ...Object.fromEntries(["starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b", "mellum2"].map((n) => [n, STARCODER])),
  falcon: rule([String.raw`[\p{P}\$\+<=>\^~\|` + "`]+", GPT2, "[0-9][0-9][0-9]"]),
  "deepseek-llm": rule([
    "[\r\n]",
    String.raw`\s?[` + DEEPSEEK_LETTERS + "]+",
    String.raw`\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+`,
    String.raw`\s+$`,
    CJK,
    String.raw`\p{N}+`,
  ]),
  "deepseek-coder": rule(["[\r\n]", String.raw`\s?\p{L}+`, String.raw`\s?\p{P}+`, CJK, String.raw`\p{N}`]),
  ...Object.fromEntries(["gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"].map((n) => [n, rule([GPT4O])])),
  tekken: rule([TEKKEN], { ignoreMerges: true, addBos: true }),
};

export const SUPPORTED_PRE_TOKENIZERS: readonly string[] = Object.keys(RULES).sort();

/** The rule for `pre` (absent = llama.cpp's "default", which it warns degrades quality). */
export function preTokenizerRule(pre: string | undefined, file: string): PreTokenizerRule {
  const found = RULES[pre ?? "default"];
  if (!found) {
    throw new ConvertError(
      "unsupported_config",
      `${file}: tokenizer.ggml.pre ${pre} is not supported (supported: ${SUPPORTED_PRE_TOKENIZERS.join(", ")})`,
      file,
    );
  }
  return found;
}
