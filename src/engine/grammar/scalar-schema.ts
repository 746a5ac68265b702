import { childPath, GrammarError } from "./grammar-error.ts";
import type { NormalSchema } from "./normal-schema.ts";
import { translatePattern } from "./pattern-translate.ts";
import { INTEGER_KEYWORDS } from "./schema-keywords.ts";
import { FORMAT_PATTERNS } from "./string-formats.ts";

/** What the allow-list validator accepts at most, so no schema can make the engine work without end. */
export const LIMITS = { depth: 48, nodes: 4000, enumValues: 1000, items: 10_000, length: 1_000_000 };

/** A string schema's bounds, pattern or format, checked and in normal form (the pattern translated). */
export function stringSchema(input: Record<string, unknown>, path: string): NormalSchema {
  let min = count(input.minLength, childPath(path, "minLength"), LIMITS.length) ?? 0;
  let max = count(input.maxLength, childPath(path, "maxLength"), LIMITS.length) ?? Infinity;
  if (min > max) throw new GrammarError("invalid_schema", `minLength (${min}) is greater than maxLength (${max}).`, childPath(path, "minLength"));
  let source: string | null = null;
  let sourceAt = path;
  if (input.format !== undefined) {
    sourceAt = childPath(path, "format");
    if (typeof input.format !== "string" || FORMAT_PATTERNS[input.format] === undefined) {
      throw new GrammarError("unsupported_keyword", `format ${JSON.stringify(input.format)} is not enforced; supported formats: ${Object.keys(FORMAT_PATTERNS).join(", ")}.`, sourceAt);
    }
    if (input.pattern !== undefined) throw new GrammarError("unsupported_keyword", "'pattern' beside 'format' is not enforced; use one of them.", childPath(path, "pattern"));
    source = FORMAT_PATTERNS[input.format]!;
  } else if (input.pattern !== undefined) {
    sourceAt = childPath(path, "pattern");
    if (typeof input.pattern !== "string") throw new GrammarError("invalid_schema", "'pattern' must be a string.", sourceAt);
    source = input.pattern;
  }
  const out: NormalSchema = { type: "string" };
  if (source !== null) {
    const t = translatePattern(source, sourceAt);
    if (t.regex !== null) out.pattern = t.regex;
    min = Math.max(min, t.minLength);
    max = Math.min(max, t.maxLength);
    if (min > max) throw new GrammarError("invalid_schema", `the pattern's length bounds and minLength/maxLength leave no length possible.`, sourceAt);
  }
  if (min > 0) out.minLength = min;
  if (max !== Infinity) out.maxLength = max;
  return out;
}

/** An integer schema's bounds, exclusive ones folded in (`exclusiveMinimum: 4` is `minimum: 5`). */
export function integerSchema(input: Record<string, unknown>, path: string): NormalSchema {
  let lo = -Infinity;
  let hi = Infinity;
  for (const key of INTEGER_KEYWORDS) {
    const v = input[key];
    if (v === undefined) continue;
    const at = childPath(path, key);
    if (typeof v !== "number" || !Number.isFinite(v)) throw new GrammarError("invalid_schema", `'${key}' must be a number${typeof v === "boolean" ? " (the draft-4 boolean form is not supported)" : ""}.`, at);
    if (Math.abs(v) > Number.MAX_SAFE_INTEGER) throw new GrammarError("invalid_schema", `'${key}' must be within ±${Number.MAX_SAFE_INTEGER}.`, at);
    if (key === "minimum") lo = Math.max(lo, Math.ceil(v));
    else if (key === "exclusiveMinimum") lo = Math.max(lo, Math.floor(v) + 1);
    else if (key === "maximum") hi = Math.min(hi, Math.floor(v));
    else hi = Math.min(hi, Math.ceil(v) - 1);
  }
  if (lo > hi) throw new GrammarError("invalid_schema", "the integer bounds leave no value possible (minimum is above maximum).", path);
  const out: NormalSchema = { type: "integer" };
  if (lo !== -Infinity) out.minimum = lo;
  if (hi !== Infinity) out.maximum = hi;
  return out;
}

/** A count keyword (minLength, maxItems, …): a non-negative integer within its limit. */
export function count(v: unknown, at: string, limit: number): number | null {
  if (v === undefined) return null;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new GrammarError("invalid_schema", "must be a non-negative integer.", at);
  if (v > limit) throw new GrammarError("schema_too_complex", `must be at most ${limit}.`, at);
  return v;
}
