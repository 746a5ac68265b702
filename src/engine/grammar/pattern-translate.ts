import { GrammarError } from "./grammar-error.ts";
import { ANY } from "./code-point-set.ts";
import { asRepeatedClass, emitForJsonString, emitSet, matchesNothing, UnsupportedSetError, unrolledSize } from "./regex-emit.ts";
import { parseRegex, RegexSubsetError, type RegexNode } from "./regex-parse.ts";

/** Bounded repeats are unrolled by the engine and each position costs a vocabulary scan at compile time. */
export const MAX_UNROLLED_POSITIONS = 64;

export interface TranslatedPattern {
  /** The regex the engine matches against the string's JSON text; null when any text is allowed. */
  regex: string | null;
  /** Length bounds (code points) this pattern implies, enforced by our overlay. */
  minLength: number;
  maxLength: number;
}

/**
 * A JSON Schema `pattern` (or one of our format patterns) → what the engine and our length overlay enforce.
 * `^C{m,n}$` becomes `^C*$` with the bounds moved to the overlay, where they cost nothing to compile.
 */
export function translatePattern(source: string, path: string): TranslatedPattern {
  try {
    return translate(source, path);
  } catch (err) {
    if (err instanceof UnsupportedSetError) throw new GrammarError("unsupported_pattern", `pattern ${JSON.stringify(clip(source))}: ${err.message}.`, path);
    throw err;
  }
}

function translate(source: string, path: string): TranslatedPattern {
  let branches;
  try {
    branches = parseRegex(source);
  } catch (err) {
    if (err instanceof RegexSubsetError) {
      throw new GrammarError("unsupported_pattern", `pattern ${JSON.stringify(clip(source))} at character ${err.position + 1}: ${err.message}.`, path);
    }
    throw err;
  }
  if (branches.some((b) => hasEmptySet(b.node)) || matchesNothing(branches)) {
    throw new GrammarError("invalid_schema", `pattern ${JSON.stringify(clip(source))} contains a character class that matches nothing.`, path);
  }
  const repeated = asRepeatedClass(branches);
  if (repeated) {
    const any = repeated.set.length === ANY.length && repeated.set.every(([lo, hi], i) => lo === ANY[i]![0] && hi === ANY[i]![1]);
    return { regex: any ? null : `^${emitSet(repeated.set)}*$`, minLength: repeated.min, maxLength: repeated.max };
  }
  const size = unrolledSize(branches);
  if (size > MAX_UNROLLED_POSITIONS) {
    throw new GrammarError(
      "schema_too_complex",
      `pattern ${JSON.stringify(clip(source))} unrolls to ${size} character positions (the limit is ${MAX_UNROLLED_POSITIONS}); bounded repeats like {0,100} are costly to compile. Use maxLength for long strings.`,
      path,
    );
  }
  return { regex: emitForJsonString(branches), minLength: 0, maxLength: Infinity };
}

function hasEmptySet(node: RegexNode): boolean {
  switch (node.k) {
    case "set": return node.set.length === 0;
    case "seq": return node.items.some(hasEmptySet);
    case "alt": return node.alts.some(hasEmptySet);
    case "rep": return hasEmptySet(node.node);
  }
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
