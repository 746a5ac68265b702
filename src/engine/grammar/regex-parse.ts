import { DIGITS, DOT, SPACE, WORD, complement, normalizeSet, union, type CodePointSet } from "./code-point-set.ts";

/**
 * The subset of ECMAScript regular expressions (JSON Schema's `pattern` dialect) that we translate for the grammar
 * engine, parsed into a small tree. Anything outside it is refused by name (never approximated): lookaround,
 * backreferences, word boundaries, \p{…} classes, flags, anchors anywhere but the ends.
 */
export type RegexNode =
  | { k: "alt"; alts: RegexNode[] }
  | { k: "seq"; items: RegexNode[] }
  | { k: "set"; set: CodePointSet }
  | { k: "rep"; node: RegexNode; min: number; max: number };

/** One top-level alternative with whether it was anchored at each end. */
export interface RegexBranch {
  node: RegexNode;
  anchoredStart: boolean;
  anchoredEnd: boolean;
}

export class RegexSubsetError extends Error {
  constructor(message: string, readonly position: number) {
    super(message);
  }
}

/** Repetition bounds above this are refused: the engine unrolls bounded repeats. */
export const MAX_REPEAT_BOUND = 10_000;

export function parseRegex(source: string): RegexBranch[] {
  return new Parser(source).parseTop();
}

class Parser {
  private readonly cps: number[];
  private pos = 0;

  constructor(source: string) {
    this.cps = [...source].map((c) => c.codePointAt(0)!);
  }

  private fail(message: string, at = this.pos): never {
    throw new RegexSubsetError(message, at);
  }

  private peek(offset = 0): number | undefined {
    return this.cps[this.pos + offset];
  }

  private eat(ch: string): boolean {
    if (this.peek() === ch.codePointAt(0)) {
      this.pos++;
      return true;
    }
    return false;
  }

  parseTop(): RegexBranch[] {
    const branches: RegexBranch[] = [];
    for (;;) {
      const anchoredStart = this.eat("^");
      const items = this.parseSeqItems(true);
      let anchoredEnd = false;
      if (this.eat("$")) anchoredEnd = true;
      branches.push({ node: { k: "seq", items }, anchoredStart, anchoredEnd });
      if (this.pos >= this.cps.length) break;
      if (this.eat("|")) continue;
      if (this.peek() === 0x29) this.fail("unmatched ')'");
      this.fail("'$' is supported only at the end of the pattern (or of a top-level alternative)");
    }
    return branches;
  }

  private parseAlt(): RegexNode {
    const alts: RegexNode[] = [{ k: "seq", items: this.parseSeqItems(false) }];
    while (this.eat("|")) alts.push({ k: "seq", items: this.parseSeqItems(false) });
    return alts.length === 1 ? alts[0]! : { k: "alt", alts };
  }

  private parseSeqItems(top: boolean): RegexNode[] {
    const items: RegexNode[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === 0x7c /* | */ || c === 0x29 /* ) */) return items;
      if (c === 0x24 /* $ */) {
        if (top && (this.peek(1) === undefined || this.peek(1) === 0x7c)) return items;
        this.fail("'$' is supported only at the end of the pattern (or of a top-level alternative)");
      }
      if (c === 0x5e /* ^ */) this.fail("'^' is supported only at the start of the pattern (or of a top-level alternative)");
      const atom = this.parseAtom();
      items.push(this.parseQuantifier(atom));
    }
  }

  private parseQuantifier(atom: RegexNode): RegexNode {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === 0x2a /* * */) [min, max] = [0, Infinity];
    else if (c === 0x2b /* + */) [min, max] = [1, Infinity];
    else if (c === 0x3f /* ? */) [min, max] = [0, 1];
    else if (c === 0x7b /* { */) {
      const at = this.pos;
      const m = /^\{(\d+)(,(\d*))?\}/.exec(String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 24)));
      if (!m) this.fail("a literal '{' must be escaped as \\{ (or write a quantifier {n}, {n,} or {n,m})");
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
      if (max < min) this.fail(`quantifier {${min},${max}} has its maximum below its minimum`, at);
      if (min > MAX_REPEAT_BOUND || (max !== Infinity && max > MAX_REPEAT_BOUND)) this.fail(`quantifier bounds above ${MAX_REPEAT_BOUND} are not supported`, at);
      this.pos += m[0].length - 1;
    } else return atom;
    this.pos++;
    this.eat("?"); // lazy: the same language under a full match
    const next = this.peek();
    if (next === 0x2a || next === 0x2b || next === 0x3f || next === 0x7b) this.fail("two quantifiers in a row");
    return { k: "rep", node: atom, min, max };
  }

  private parseAtom(): RegexNode {
    const c = this.peek()!;
    const at = this.pos;
    if (c === 0x28 /* ( */) {
      this.pos++;
      if (this.eat("?")) {
        if (this.eat(":")) {
          // non-capturing
        } else if (this.peek() === 0x3c /* < */ && this.peek(1) !== 0x3d && this.peek(1) !== 0x21) {
          this.pos++;
          while (this.peek() !== undefined && this.peek() !== 0x3e) this.pos++;
          if (!this.eat(">")) this.fail("unterminated group name", at);
        } else if (this.peek() === 0x3d || this.peek() === 0x21) this.fail("lookahead (?=…) / (?!…) is not supported", at);
        else if (this.peek() === 0x3c) this.fail("lookbehind (?<=…) / (?<!…) is not supported", at);
        else this.fail("group flags (?…) are not supported", at);
      }
      const inner = this.parseAlt();
      if (!this.eat(")")) this.fail("unclosed '('", at);
      return inner;
    }
    if (c === 0x5b /* [ */) return { k: "set", set: this.parseClass() };
    if (c === 0x2e /* . */) {
      this.pos++;
      return { k: "set", set: DOT };
    }
    if (c === 0x5c /* \ */) return { k: "set", set: this.parseEscape(false) };
    if (c === 0x2a || c === 0x2b || c === 0x3f) this.fail("a quantifier with nothing to repeat");
    if (c === 0x7b || c === 0x7d) this.fail("a literal brace must be escaped as \\{ or \\}");
    if (c === 0x5d) this.fail("a literal ']' must be escaped as \\]");
    this.pos++;
    return { k: "set", set: [[c, c]] };
  }

  private parseClass(): CodePointSet {
    const at = this.pos;
    this.pos++; // [
    const negated = this.eat("^");
    const parts: CodePointSet[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail("unclosed '['", at);
      if (c === 0x5d && !first) break;
      if (c === 0x5d && first) this.fail("an empty character class [] matches nothing", at);
      first = false;
      const lo = this.classAtom();
      if (this.peek() === 0x2d /* - */ && this.peek(1) !== 0x5d && this.peek(1) !== undefined) {
        this.pos++;
        const hi = this.classAtom();
        if (lo.single === null || hi.single === null) this.fail("a range cannot start or end with a class escape like \\d");
        if (hi.single < lo.single) this.fail("a character range is out of order");
        parts.push([[lo.single, hi.single]]);
      } else parts.push(lo.set);
    }
    this.pos++; // ]
    const set = union(...parts);
    return negated ? complement(set) : set;
  }

  private classAtom(): { set: CodePointSet; single: number | null } {
    const c = this.peek()!;
    if (c === 0x5c) {
      const before = this.pos;
      const set = this.parseEscape(true);
      const isSingle = set.length === 1 && set[0]![0] === set[0]![1] && !/^\\[dDwWsS]/.test(String.fromCodePoint(...this.cps.slice(before, before + 2)));
      return { set, single: isSingle ? set[0]![0] : null };
    }
    if (c === 0x5b && this.peek(1) === 0x3a) this.fail("POSIX classes like [:alpha:] are not supported");
    this.pos++;
    return { set: [[c, c]], single: c };
  }

  /** After a backslash: class escapes, control escapes, hex/unicode escapes, identity escapes of punctuation. */
  private parseEscape(inClass: boolean): CodePointSet {
    const at = this.pos;
    this.pos++; // \
    const c = this.peek();
    if (c === undefined) this.fail("a pattern cannot end with '\\'", at);
    this.pos++;
    const ch = String.fromCodePoint(c);
    const single = (cp: number): CodePointSet => [[cp, cp]];
    switch (ch) {
      case "d": return DIGITS;
      case "D": return complement(DIGITS);
      case "w": return WORD;
      case "W": return complement(WORD);
      case "s": return SPACE;
      case "S": return complement(SPACE);
      case "n": return single(0x0a);
      case "r": return single(0x0d);
      case "t": return single(0x09);
      case "f": return single(0x0c);
      case "v": return single(0x0b);
      case "0":
        if (this.peek() !== undefined && this.peek()! >= 0x30 && this.peek()! <= 0x39) this.fail("octal escapes are not supported", at);
        return single(0);
      case "b":
        if (inClass) return single(0x08);
        return this.fail("word boundaries (\\b) are not supported", at);
      case "B": return this.fail("word boundaries (\\B) are not supported", at);
      case "k": return this.fail("backreferences are not supported", at);
      case "p": case "P": return this.fail("Unicode property escapes (\\p{…}) are not supported", at);
      case "c": {
        const l = this.peek();
        if (l === undefined || !/[A-Za-z]/.test(String.fromCodePoint(l))) this.fail("\\c must be followed by a letter", at);
        this.pos++;
        return single(l % 32);
      }
      case "x": {
        const hex = this.takeHex(2);
        if (hex === null) this.fail("\\x needs two hex digits", at);
        return single(hex);
      }
      case "u": {
        if (this.eat("{")) {
          let value = 0;
          let digits = 0;
          while (this.peek() !== undefined && /[0-9a-fA-F]/.test(String.fromCodePoint(this.peek()!)) && digits < 7) {
            value = value * 16 + parseInt(String.fromCodePoint(this.peek()!), 16);
            this.pos++;
            digits++;
          }
          if (digits === 0 || !this.eat("}") || value > 0x10ffff) this.fail("invalid \\u{…} escape", at);
          return normalizeSet([[value, value]]);
        }
        const hex = this.takeHex(4);
        if (hex === null) this.fail("\\u needs four hex digits", at);
        if (hex >= 0xd800 && hex <= 0xdfff) this.fail("surrogate escapes are not supported; write the character or \\u{…}", at);
        return single(hex);
      }
      default:
        if (c >= 0x31 && c <= 0x39) return this.fail("backreferences are not supported", at);
        // Identity escapes: only punctuation (ECMAScript's u-mode rule), so \q and friends are refused.
        if (/[\^$\\.*+?()[\]{}|\/\-,:=!<>#&~'"%@;`]/.test(ch) || ch === " ") return single(c);
        return this.fail(`the escape \\${ch} is not supported`, at);
    }
  }

  private takeHex(n: number): number | null {
    let value = 0;
    for (let i = 0; i < n; i++) {
      const c = this.peek(i);
      if (c === undefined || !/[0-9a-fA-F]/.test(String.fromCodePoint(c))) return null;
      value = value * 16 + parseInt(String.fromCodePoint(c), 16);
    }
    this.pos += n;
    return value;
  }
}
