import { isObject, resolveRef, type NormalSchema } from "./normal-schema.ts";
import { kindsOf, type ValueKind } from "./schema-soundness.ts";

/**
 * Follows JSON text byte by byte against a normal schema, far enough to know which string is being written and how
 * long it is: the part of structured output the grammar engine is slow at (bounded string lengths) and that our
 * overlay enforces instead. It does not validate the structure (the engine does); it reports only a length bound
 * broken. Branches of anyOf are picked by a value's first character (schema-soundness.ts guarantees that is enough
 * wherever a bound lies beneath).
 */
type Frame =
  | { t: "value"; schema: NormalSchema | null }
  | { t: "str"; min: number; max: number; len: number; esc: boolean; need: number; lo: number; hi: number }
  | { t: "int"; min: number; max: number; neg: boolean; digits: string }
  | { t: "obj"; schema: NormalSchema; st: "start" | "key" | "colon" | "comma" | "next"; key: number[]; esc: boolean }
  | { t: "arr"; schema: NormalSchema; st: "start" | "comma"; index: number }
  | { t: "scalar" }
  | { t: "skip"; depth: number; inStr: boolean; esc: boolean };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

export class JsonPathTracker {
  private stack: Frame[];

  constructor(private readonly root: NormalSchema, stack?: Frame[]) {
    this.stack = stack ?? [{ t: "value", schema: root }];
  }

  clone(): JsonPathTracker {
    return new JsonPathTracker(this.root, this.stack.map((f) => (f.t === "obj" ? { ...f, key: [...f.key] } : { ...f })));
  }

  /** Whether the root value is complete (a scalar root is complete only once something follows it). */
  done(): boolean {
    return this.stack.length === 0;
  }

  /** Where the next byte lands, as far as bounds care: in a bounded string, where a bounded number may start or go on. */
  position(): Position {
    const top = this.stack[this.stack.length - 1];
    if (top?.t === "str" && (top.min > 0 || top.max !== Infinity)) return { kind: "string", len: top.len, min: top.min, max: top.max, esc: top.esc, need: top.need };
    // A token without a quote can still start or extend a bounded integer (":12", ",7", "-3").
    const numberNext =
      top?.t === "int" ||
      (top?.t === "value" && this.boundedNumber(top.schema)) ||
      (top?.t === "arr" && (this.boundedNumber(itemSchema(top.schema, top.index)) || this.boundedNumber(itemSchema(top.schema, top.index + 1)))) ||
      (top?.t === "obj" && top.st === "colon" && this.boundedNumber(propertySchema(top.schema, keyText(top.key))));
    return numberNext ? { kind: "number", inside: top?.t === "int" } : null;
  }

  /** Whether the output may end here (a stop token): the root value complete and within its bounds. */
  canEnd(): boolean {
    if (this.stack.length === 0) return true;
    const top = this.stack[0]!;
    if (this.stack.length !== 1) return false;
    if (top.t === "int") return top.digits !== "" && inRange(top);
    return top.t === "scalar";
  }

  /** Feeds bytes; false when they break a string length bound (the tracker is then unusable). */
  feed(bytes: Uint8Array | readonly number[]): boolean {
    for (let i = 0; i < bytes.length; i++) if (!this.step(bytes[i]!)) return false;
    return true;
  }

  private step(c: number): boolean {
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top) return true; // after the root value: nothing more to follow
      switch (top.t) {
        case "int": {
          if (c >= 0x30 && c <= 0x39) {
            top.digits += String.fromCharCode(c);
            return feasible(top);
          }
          if (c === 0x2d && top.digits === "" && !top.neg) {
            top.neg = true;
            return feasible(top);
          }
          this.stack.pop();
          if (top.digits === "" || !inRange(top)) return false;
          continue; // the delimiter belongs to the container
        }
        case "str": {
          if (top.need > 0) {
            // Inside a multi-byte character: only its continuation bytes, never a surrogate or overlong form.
            if (c < top.lo || c > top.hi) return !bounded(top);
            top.need--;
            top.lo = 0x80;
            top.hi = 0xbf;
            return true;
          }
          if (top.esc) {
            top.esc = false;
            // \uXXXX would need its own counting; inside a bounded string we refuse it (a stricter subset).
            return !(c === 0x75 && bounded(top));
          }
          if (c === QUOTE) {
            this.stack.pop();
            return top.len >= top.min;
          }
          if (c === BACKSLASH) top.esc = true;
          else if (c >= 0x80) {
            const lead = utf8Lead(c);
            if (!lead) return !bounded(top);
            [top.need, top.lo, top.hi] = lead;
          }
          top.len++;
          return top.len <= top.max;
        }
        case "value": {
          if (isSpace(c)) return true;
          this.stack.pop();
          return this.open(top.schema, c);
        }
        case "scalar": {
          if (c === 0x2c || c === 0x7d || c === 0x5d || isSpace(c)) {
            this.stack.pop();
            continue; // the delimiter belongs to the container
          }
          return true;
        }
        case "skip": {
          if (top.inStr) {
            if (top.esc) top.esc = false;
            else if (c === BACKSLASH) top.esc = true;
            else if (c === QUOTE) top.inStr = false;
          } else if (c === QUOTE) top.inStr = true;
          else if (c === 0x7b || c === 0x5b) top.depth++;
          else if (c === 0x7d || c === 0x5d) {
            if (--top.depth === 0) this.stack.pop();
          }
          return true;
        }
        case "obj": return this.objectByte(top, c);
        case "arr": {
          if (isSpace(c)) return true;
          if (c === 0x5d) {
            this.stack.pop();
            return true;
          }
          if (top.st === "comma") {
            if (c === 0x2c) {
              top.index++;
              this.stack.push({ t: "value", schema: itemSchema(top.schema, top.index) });
            }
            return true;
          }
          top.st = "comma";
          this.stack.push({ t: "value", schema: itemSchema(top.schema, top.index) });
          continue; // this byte starts the first item
        }
      }
    }
  }

  private objectByte(top: Extract<Frame, { t: "obj" }>, c: number): boolean {
    if (top.st === "key") {
      if (top.esc) top.esc = false;
      else if (c === BACKSLASH) top.esc = true;
      else if (c === QUOTE) {
        top.st = "colon";
        return true;
      }
      top.key.push(c);
      return true;
    }
    if (isSpace(c)) return true;
    if (c === 0x7d && top.st !== "colon") {
      this.stack.pop();
      return true;
    }
    if (c === QUOTE && (top.st === "start" || top.st === "next")) {
      top.st = "key";
      top.key = [];
    } else if (c === 0x3a && top.st === "colon") {
      top.st = "comma";
      this.stack.push({ t: "value", schema: propertySchema(top.schema, keyText(top.key)) });
    } else if (c === 0x2c && top.st === "comma") top.st = "next";
    return true;
  }

  private open(schema: NormalSchema | null, c: number): boolean {
    const kind = kindOfByte(c);
    const chosen = schema && kind ? this.pick(schema, kind) : null;
    if (kind === "string") {
      const isString = chosen?.type === "string";
      this.stack.push({
        t: "str",
        min: isString ? ((chosen!.minLength as number | undefined) ?? 0) : 0,
        max: isString ? ((chosen!.maxLength as number | undefined) ?? Infinity) : Infinity,
        len: 0,
        esc: false,
        need: 0,
        lo: 0,
        hi: 0,
      });
    } else if (kind === "number" && chosen?.type === "integer" && (chosen.minimum !== undefined || chosen.maximum !== undefined)) {
      const frame: Frame = { t: "int", min: (chosen.minimum as number | undefined) ?? -Infinity, max: (chosen.maximum as number | undefined) ?? Infinity, neg: false, digits: "" };
      this.stack.push(frame);
      return this.step(c); // the first digit or '-'
    } else if (kind === "object") {
      this.stack.push(chosen?.type === "object" ? { t: "obj", schema: chosen, st: "start", key: [], esc: false } : { t: "skip", depth: 1, inStr: false, esc: false });
    } else if (kind === "array") {
      this.stack.push(chosen?.type === "array" ? { t: "arr", schema: chosen, st: "start", index: 0 } : { t: "skip", depth: 1, inStr: false, esc: false });
    } else this.stack.push({ t: "scalar" });
    return true;
  }

  private boundedNumber(schema: NormalSchema | null): boolean {
    const n = schema ? this.pick(schema, "number") : null;
    return n !== null && n.type === "integer" && (n.minimum !== undefined || n.maximum !== undefined);
  }

  /** The one branch of `schema` a value of `kind` can be in, or null when it does not matter (no bound beneath). */
  private pick(schema: NormalSchema, kind: ValueKind): NormalSchema | null {
    let node = schema;
    for (let hops = 0; typeof node.$ref === "string"; hops++) {
      if (hops > 64) return null;
      node = resolveRef(this.root, node.$ref);
    }
    if (Array.isArray(node.anyOf)) {
      const matching = (node.anyOf as NormalSchema[]).filter((b) => kindsOf(this.root, b).has(kind));
      return matching.length === 1 ? this.pick(matching[0]!, kind) : null;
    }
    return node.type === kind || (kind === "number" && node.type === "integer") ? node : null;
  }
}

/**
 * `number`: a token with a digit or '-' may start or extend a bounded integer; `inside`: one is being written, so
 * any token (a delimiter ends it) must be checked.
 */
export type Position = { kind: "string"; len: number; min: number; max: number; esc: boolean; need: number } | { kind: "number"; inside: boolean } | null;

function bounded(f: { min: number; max: number }): boolean {
  return f.min > 0 || f.max !== Infinity;
}

/** [continuation bytes, range of the first one] for a UTF-8 lead byte; null for bytes that cannot start one. */
function utf8Lead(c: number): [number, number, number] | null {
  if (c >= 0xc2 && c <= 0xdf) return [1, 0x80, 0xbf];
  if (c === 0xe0) return [2, 0xa0, 0xbf];
  if (c === 0xed) return [2, 0x80, 0x9f];
  if (c >= 0xe1 && c <= 0xef) return [2, 0x80, 0xbf];
  if (c === 0xf0) return [3, 0x90, 0xbf];
  if (c >= 0xf1 && c <= 0xf3) return [3, 0x80, 0xbf];
  if (c === 0xf4) return [3, 0x80, 0x8f];
  return null;
}

function inRange(f: { min: number; max: number; neg: boolean; digits: string }): boolean {
  const v = Number(f.digits) * (f.neg ? -1 : 1);
  return v >= f.min && v <= f.max;
}

/** Whether some integer that starts with these characters lies in [min, max] (JSON has no leading zeros). */
function feasible(f: { min: number; max: number; neg: boolean; digits: string }): boolean {
  if (f.digits === "") return f.neg ? f.min <= -1 : true;
  const p = Number(f.digits);
  if (f.digits.length > 16) return f.neg ? f.min === -Infinity : f.max === Infinity;
  if (p === 0) return inRange(f);
  // Completions of p are [p·10^j, p·10^j + 10^j − 1] for j ≥ 0 (negated for '-').
  for (let scale = 1; p * scale <= Number.MAX_SAFE_INTEGER * 10; scale *= 10) {
    const lo = p * scale;
    const hi = lo + scale - 1;
    const [a, b] = f.neg ? [-hi, -lo] : [lo, hi];
    if (b >= f.min && a <= f.max) return true;
    if (!f.neg && lo > f.max) return false;
    if (f.neg && -hi < f.min) return false;
  }
  return false;
}

function kindOfByte(c: number): ValueKind | null {
  if (c === QUOTE) return "string";
  if (c === 0x7b) return "object";
  if (c === 0x5b) return "array";
  if (c === 0x74 || c === 0x66) return "boolean";
  if (c === 0x6e) return "null";
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return "number";
  return null;
}

function propertySchema(schema: NormalSchema, key: string): NormalSchema | null {
  const props = isObject(schema.properties) ? (schema.properties as Record<string, NormalSchema>) : {};
  if (Object.hasOwn(props, key)) return props[key]!;
  return isObject(schema.additionalProperties) ? (schema.additionalProperties as NormalSchema) : null;
}

function itemSchema(schema: NormalSchema, index: number): NormalSchema | null {
  const prefix = (schema.prefixItems ?? []) as NormalSchema[];
  if (index < prefix.length) return prefix[index]!;
  return isObject(schema.items) ? (schema.items as NormalSchema) : null;
}

function keyText(bytes: number[]): string {
  const raw = Buffer.from(bytes).toString("utf8");
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}
