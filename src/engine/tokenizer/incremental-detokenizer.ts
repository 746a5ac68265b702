import type { TextTokenizer } from "./text-tokenizer.ts";

/**
 * Turns generated ids into text deltas as they arrive. Decoding a small window (a few tokens of context plus
 * the new ones) and diffing keeps it O(1) per token, gets SentencePiece leading spaces right, and holds back
 * a token that ends in the middle of a UTF-8 character until the character is complete.
 */
export class IncrementalDetokenizer {
  private readonly ids: number[];
  private prefixOffset: number;
  private readOffset: number;

  constructor(
    private readonly tokenizer: TextTokenizer,
    contextIds: readonly number[],
    /** Generated text skips special tokens; echoed prompt text keeps them. */
    private readonly skipSpecialTokens = true,
  ) {
    // A few prompt tokens as left context; their text is never emitted.
    this.ids = contextIds.slice(-6);
    this.prefixOffset = 0;
    this.readOffset = this.ids.length;
  }

  /** Add one token; returns the text that became final (possibly ""). */
  push(id: number): string {
    this.ids.push(id);
    const prefix = this.tokenizer.decode(this.ids.slice(this.prefixOffset, this.readOffset), this.skipSpecialTokens);
    const full = this.tokenizer.decode(this.ids.slice(this.prefixOffset), this.skipSpecialTokens);
    if (full.length > prefix.length && !full.endsWith("\uFFFD")) {
      const delta = full.slice(prefix.length);
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
      this.compact();
      return delta;
    }
    return "";
  }

  /** At the end: whatever is still undecided (an incomplete character decodes to U+FFFD). */
  flush(): string {
    const prefix = this.tokenizer.decode(this.ids.slice(this.prefixOffset, this.readOffset), this.skipSpecialTokens);
    const full = this.tokenizer.decode(this.ids.slice(this.prefixOffset), this.skipSpecialTokens);
    this.prefixOffset = this.readOffset = this.ids.length;
    return full.length > prefix.length ? full.slice(prefix.length) : "";
  }

  private compact(): void {
    if (this.prefixOffset > 64) {
      this.ids.splice(0, this.prefixOffset);
      this.readOffset -= this.prefixOffset;
      this.prefixOffset = 0;
    }
  }
}
