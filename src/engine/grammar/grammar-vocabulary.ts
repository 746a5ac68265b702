import { byteLevelBytes } from "../tokenizer/byte-level.ts";
import type { TextTokenizer } from "../tokenizer/text-tokenizer.ts";
import type { VocabularyBytes } from "./length-overlay.ts";

/** What the grammar engine needs to know of one model's vocabulary; built once per model, sent to the worker. */
export interface GrammarVocabulary {
  /** Stored token strings, special tokens blanked. */
  pieces: string[];
  kind: "byte_level" | "byte_fallback" | "raw";
  prependSpace: boolean;
  /** The logits width (may exceed the tokenizer's vocabulary: padding rows are never allowed). */
  vocabSize: number;
  /** When the grammar is complete only these may follow, so the sequence ends with finish_reason "stop". */
  stopTokenIds: number[];
  /** Each token's exact bytes (empty for special tokens), for our length overlay. */
  bytes: VocabularyBytes;
}

export function grammarVocabulary(tokenizer: TextTokenizer, vocabSize: number, stopTokenIds: Iterable<number>): GrammarVocabulary {
  const { pieces, kind, prependSpace } = tokenizer.grammarVocabulary();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let id = 0; id < vocabSize; id++) {
    const b = id < pieces.length ? pieceBytes(pieces[id]!, kind) : new Uint8Array(0);
    parts.push(b);
    total += b.length;
  }
  const bytes = new Uint8Array(total);
  const offsets = new Uint32Array(vocabSize + 1);
  let at = 0;
  parts.forEach((b, id) => {
    offsets[id] = at;
    bytes.set(b, at);
    at += b.length;
  });
  offsets[vocabSize] = at;
  const stops = [...new Set(stopTokenIds)].filter((id) => id >= 0 && id < vocabSize).sort((a, b) => a - b);
  return { pieces: pieces.slice(0, vocabSize), kind, prependSpace, vocabSize, stopTokenIds: stops, bytes: { bytes, offsets } };
}

function pieceBytes(piece: string, kind: GrammarVocabulary["kind"]): Uint8Array {
  if (piece === "") return new Uint8Array(0);
  if (kind === "byte_level") {
    const b = byteLevelBytes(piece);
    return b ? Uint8Array.from(b) : new Uint8Array(Buffer.from(piece, "utf8"));
  }
  if (kind === "byte_fallback") {
    const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
    if (m) return Uint8Array.of(parseInt(m[1]!, 16));
    return new Uint8Array(Buffer.from(piece.replaceAll("\u2581", " "), "utf8"));
  }
  return new Uint8Array(Buffer.from(piece, "utf8"));
}
