import type { Position } from "./json-path-tracker.ts";

/** Follows the output far enough to know the bounded string being written (json-path-tracker.ts and its kin). */
export interface StringTracker {
  feed(bytes: Uint8Array | readonly number[]): boolean;
  clone(): StringTracker;
  position(): Position;
  canEnd(): boolean;
}

/** Every token's bytes, flat: token `id` is `bytes[offsets[id] .. offsets[id + 1]]` (special tokens are empty). */
export interface VocabularyBytes {
  bytes: Uint8Array;
  offsets: Uint32Array;
}

/**
 * Per token, what it does inside a JSON string when it holds no quote: how many characters it adds, and whether
 * it ends inside an escape — for each of the two states a token can start in (after a backslash or not).
 * Tokens holding a quote (they may close the string and go on) are simulated one by one instead.
 */
export class StringTokenTable {
  readonly hasQuote: Uint8Array;
  /** The token holds a digit or '-': it may start or extend a number. */
  readonly hasNumberChar: Uint8Array;
  /** The token's bytes are UTF-8 from a character boundary (possibly ending inside a character). */
  readonly utf8Ok: Uint8Array;
  /** [2 * id + startEsc]: characters added; -1 when the token cannot continue a bounded string (a \u escape). */
  readonly added: Int32Array;
  readonly endsEsc: Uint8Array;
  /** [2 * id + startEsc] for tokens with a quote: characters before the first unescaped quote (-1: cannot). */
  readonly beforeQuote: Int32Array;
  /** [2 * id + startEsc]: what follows that quote holds another quote, a digit or '-' (may touch another bound). */
  readonly restTouches: Uint8Array;
  /** Ids of tokens holding a quote, and of those holding a quote, a digit or '-': the only ones that matter outside strings. */
  readonly quoteIds: Uint32Array;
  readonly quoteOrNumberIds: Uint32Array;

  constructor(readonly vocab: VocabularyBytes) {
    const n = vocab.offsets.length - 1;
    this.hasQuote = new Uint8Array(n);
    this.hasNumberChar = new Uint8Array(n);
    this.utf8Ok = new Uint8Array(n);
    this.added = new Int32Array(2 * n);
    this.endsEsc = new Uint8Array(2 * n);
    this.beforeQuote = new Int32Array(2 * n).fill(-1);
    this.restTouches = new Uint8Array(2 * n);
    const quoteIds: number[] = [];
    const quoteOrNumberIds: number[] = [];
    for (let id = 0; id < n; id++) {
      const start = vocab.offsets[id]!;
      const end = vocab.offsets[id + 1]!;
      let need = 0;
      let ok = 1;
      for (let i = start; i < end; i++) {
        const c = vocab.bytes[i]!;
        if (c === 0x22) this.hasQuote[id] = 1;
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) this.hasNumberChar[id] = 1;
        if (need > 0) {
          if ((c & 0xc0) !== 0x80) ok = 0;
          need--;
        } else if (c >= 0xc2 && c <= 0xdf) need = 1;
        else if (c >= 0xe0 && c <= 0xef) need = 2;
        else if (c >= 0xf0 && c <= 0xf4) need = 3;
        else if (c >= 0x80) ok = 0;
      }
      // Surrogates and overlong forms are caught by simulating the tracker for those few tokens.
      for (let i = start; i < end; i++) if (vocab.bytes[i] === 0xe0 || vocab.bytes[i] === 0xed || vocab.bytes[i] === 0xf0 || vocab.bytes[i] === 0xf4) ok = 0;
      this.utf8Ok[id] = ok;
      for (let startEsc = 0; startEsc < 2; startEsc++) {
        let esc = startEsc === 1;
        let count = 0;
        for (let i = start; i < end; i++) {
          const c = vocab.bytes[i]!;
          if (esc) {
            esc = false;
            if (c === 0x75) {
              count = -1;
              break;
            }
          } else if (c === 0x5c) {
            esc = true;
            count++;
          } else if ((c & 0xc0) !== 0x80) count++;
        }
        this.added[2 * id + startEsc] = count;
        this.endsEsc[2 * id + startEsc] = esc ? 1 : 0;
        if (this.hasQuote[id]) this.scanQuote(id, startEsc, start, end);
      }
      if (this.hasQuote[id]) quoteIds.push(id);
      if (this.hasQuote[id] || this.hasNumberChar[id]) quoteOrNumberIds.push(id);
    }
    this.quoteIds = Uint32Array.from(quoteIds);
    this.quoteOrNumberIds = Uint32Array.from(quoteOrNumberIds);
  }

  private scanQuote(id: number, startEsc: number, start: number, end: number): void {
    let esc = startEsc === 1;
    let count = 0;
    for (let i = start; i < end; i++) {
      const c = this.vocab.bytes[i]!;
      if (esc) {
        esc = false;
        if (c === 0x75) return;
        continue;
      }
      if (c === 0x22) {
        this.beforeQuote[2 * id + startEsc] = count;
        for (let j = i + 1; j < end; j++) {
          const d = this.vocab.bytes[j]!;
          if (d === 0x22 || d === 0x2d || (d >= 0x30 && d <= 0x39)) this.restTouches[2 * id + startEsc] = 1;
        }
        return;
      }
      if (c >= 0x80 && !this.utf8Ok[id]) return;
      if (c === 0x5c) esc = true;
      if (c === 0x5c || (c & 0xc0) !== 0x80) count++;
    }
  }

  tokenBytes(id: number): Uint8Array {
    return this.vocab.bytes.subarray(this.vocab.offsets[id]!, this.vocab.offsets[id + 1]!);
  }
}

/**
 * Enforces string minLength/maxLength on top of the grammar engine's mask: the engine compiles strings without
 * their bounds (bounded repeats cost it seconds), and this clears the tokens that would break a bound.
 */
export class LengthOverlay {
  constructor(
    private readonly tracker: StringTracker,
    private readonly table: StringTokenTable,
    private readonly stopTokenIds: readonly number[],
  ) {}

  accept(id: number): void {
    this.tracker.feed(this.table.tokenBytes(id));
  }

  /** Clears, in `mask`, every allowed token that would break a bound. */
  filter(mask: Uint32Array, vocabSize: number): void {
    const at = this.tracker.position();
    const n = Math.min(vocabSize, this.table.hasQuote.length);
    const check = (id: number) => {
      if (id < n && ((mask[id >> 5]! >>> (id & 31)) & 1) === 1 && !this.allows(id, at)) mask[id >> 5]! &= ~(1 << (id & 31));
    };
    if (at === null) this.table.quoteIds.forEach(check); // only a quote can enter a bounded string
    else if (at.kind === "number" && !at.inside) this.table.quoteOrNumberIds.forEach(check);
    else {
      for (let w = 0; w < mask.length; w++) {
        const word = mask[w]!;
        if (word === 0) continue;
        for (let bit = 0; bit < 32; bit++) if ((word >>> bit) & 1) check(w * 32 + bit);
      }
    }
    if (!this.tracker.canEnd()) for (const id of this.stopTokenIds) mask[id >> 5]! &= ~(1 << (id & 31));
  }

  private allows(id: number, at: Position): boolean {
    if (this.stopTokenIds.includes(id)) return true; // decided once, after the loop
    if (at === null) return this.table.hasQuote[id] ? this.simulate(id) : true;
    if (at.kind === "number") return at.inside || this.table.hasNumberChar[id] || this.table.hasQuote[id] ? this.simulate(id) : true;
    if (at.need > 0 || !this.table.utf8Ok[id]) return this.simulate(id);
    const k = 2 * id + (at.esc ? 1 : 0);
    if (!this.table.hasQuote[id]) {
      const added = this.table.added[k]!;
      return added >= 0 && at.len + added <= at.max;
    }
    // Closes the string: its length must be in bounds; what follows matters only if it may touch another bound.
    const before = this.table.beforeQuote[k]!;
    if (before < 0 || at.len + before > at.max || at.len + before < at.min) return false;
    return this.table.restTouches[k] ? this.simulate(id) : true;
  }

  private simulate(id: number): boolean {
    return this.tracker.clone().feed(this.table.tokenBytes(id));
  }
}
