/**
 * The real GPT-2 byte-level BPE vocabulary, rebuilt from the `tiktoken` package's gpt2 ranks (no download).
 *
 * tiktoken stores only byte strings and their ranks; a Hugging Face tokenizer also needs the merge list.
 * Each multi-byte token's merge is recovered by running BPE on its bytes with only lower ranks allowed:
 * that stops at exactly two parts, and those parts are the pair that GPT-2 merged to make the token.
 */
import gpt2 from "tiktoken/encoders/gpt2";

export interface ByteLevelVocab {
  /** Token strings in the byte-to-unicode alphabet, index = id (0 … 50255). */
  tokens: string[];
  /** Merges in priority order, as "left right". */
  merges: string[];
  /** Special tokens by content, e.g. `<|endoftext|>` → 50256. */
  specialTokens: Record<string, number>;
  /** The pre-tokenizer split pattern GPT-2 uses. */
  pattern: string;
}

/**
 * GPT-2's reversible byte → printable-character map (`bytes_to_unicode` in the original encoder): printable
 * Latin-1 bytes map to themselves, the rest to U+0100 onwards, so every byte string is a readable JSON key.
 */
export function byteToUnicode(): string[] {
  const table: string[] = new Array(256);
  let next = 256;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || byte >= 0xae;
    table[byte] = String.fromCharCode(printable ? byte : next++);
  }
  return table;
}

let cached: ByteLevelVocab | undefined;

export function gpt2Vocab(): ByteLevelVocab {
  if (cached) return cached;

  // Ranks as latin1 strings (one char per byte) so they can key a Map.
  const byRank: string[] = [];
  for (const line of gpt2.bpe_ranks.split("\n")) {
    if (!line) continue;
    const [, offsetText, ...tokens] = line.split(" ");
    const offset = Number.parseInt(offsetText ?? "", 10);
    tokens.forEach((b64, i) => {
      byRank[offset + i] = Buffer.from(b64, "base64").toString("latin1");
    });
  }
  const rankOf = new Map(byRank.map((bytes, rank) => [bytes, rank]));

  const unicode = byteToUnicode();
  const toUnicode = (bytes: string): string => {
    let s = "";
    for (let i = 0; i < bytes.length; i++) s += unicode[bytes.charCodeAt(i)];
    return s;
  };

  const merges: string[] = [];
  for (let rank = 0; rank < byRank.length; rank++) {
    const bytes = byRank[rank]!;
    if (bytes.length < 2) continue;
    const [left, right] = splitAtMerge(bytes, rank, rankOf);
    merges.push(`${toUnicode(left)} ${toUnicode(right)}`);
  }

  cached = {
    tokens: byRank.map(toUnicode),
    merges,
    specialTokens: { ...gpt2.special_tokens },
    pattern: gpt2.pat_str,
  };
  return cached;
}

/** BPE over `bytes` using only merges ranked below `maxRank`; returns the final two parts. */
export function splitAtMerge(bytes: string, maxRank: number, rankOf: Map<string, number>): [string, string] {
  const parts = Array.from(bytes);
  for (;;) {
    let best = -1;
    let bestRank = maxRank;
    for (let i = 0; i + 1 < parts.length; i++) {
      const r = rankOf.get(parts[i]! + parts[i + 1]!);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0) break;
    parts.splice(best, 2, parts[best]! + parts[best + 1]!);
  }
  if (parts.length !== 2) throw new Error(`rank ${maxRank}: BPE left ${parts.length} parts, expected 2`);
  return [parts[0]!, parts[1]!];
}
