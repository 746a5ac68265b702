import { ANY, complement, has, isEmpty, normalizeSet, subtract, union, type CodePointSet } from "./code-point-set.ts";
import type { RegexBranch, RegexNode } from "./regex-parse.ts";

/**
 * Rewrites a parsed pattern into the regex the grammar engine matches against the JSON *text* of a string
 * (between its quotes): `"` and `\` become the escapes `\"` and `\\`, control characters their JSON escapes, so
 * no pattern can make the engine emit invalid JSON. The engine full-matches; JSON Schema patterns search, so an
 * unanchored end gets "any characters" added. Every character in a class is written as an escape, so the
 * engine's own regex parser only ever sees a form we know it accepts.
 */
export function emitForJsonString(branches: RegexBranch[]): string {
  const pad = `${emitSet(ANY)}*`;
  const alts = branches.map((b) => `${b.anchoredStart ? "" : pad}${emitNode(b.node)}${b.anchoredEnd ? "" : pad}`);
  return `^${alts.length === 1 ? alts[0] : alts.map((a) => `(?:${a})`).join("|")}$`;
}

/** How many character positions the engine unrolls: its compile time grows with this (bounded repeats unroll). */
export function unrolledSize(branches: RegexBranch[]): number {
  return branches.reduce((sum, b) => sum + size(b.node), 0);
}

function size(node: RegexNode): number {
  switch (node.k) {
    case "set": return 1;
    case "seq": return node.items.reduce((s, n) => s + size(n), 0);
    case "alt": return node.alts.reduce((s, n) => s + size(n), 0);
    case "rep": return size(node.node) * Math.max(1, node.max === Infinity ? node.min : node.max);
  }
}

/** True when the pattern can match no string at all (an empty class somewhere it is required). */
export function matchesNothing(branches: RegexBranch[]): boolean {
  return branches.every((b) => empty(b.node));
}

function empty(node: RegexNode): boolean {
  switch (node.k) {
    case "set": return isEmpty(node.set);
    case "seq": return node.items.some(empty);
    case "alt": return node.alts.every(empty);
    case "rep": return node.min > 0 && empty(node.node);
  }
}

/**
 * A whole pattern of the form ^C{m,n}$ (one class, repeated): the engine is slow on long bounded repeats, so such
 * a pattern is enforced as ^C*$ plus a length bound that our own overlay checks.
 */
export function asRepeatedClass(branches: RegexBranch[]): { set: CodePointSet; min: number; max: number } | null {
  if (branches.length !== 1) return null;
  const b = branches[0]!;
  if (!b.anchoredStart || !b.anchoredEnd || b.node.k !== "seq" || b.node.items.length !== 1) return null;
  const item = b.node.items[0]!;
  if (item.k !== "rep" || item.node.k !== "set") return null;
  return { set: item.node.set, min: item.min, max: item.max };
}

export function emitNode(node: RegexNode): string {
  switch (node.k) {
    case "set": return emitSet(node.set);
    case "seq": return node.items.map(emitNode).join("");
    case "alt": {
      const parts = node.alts.filter((a) => !(a.k === "seq" && a.items.length === 0)).map(emitNode);
      const hasEmpty = parts.length < node.alts.length;
      if (parts.length === 0) return "";
      const group = `(?:${parts.join("|")})`;
      return hasEmpty ? `${group}?` : group;
    }
    case "rep": {
      const inner = emitNode(node.node);
      if (inner === "") return "";
      const atom = node.node.k === "set" ? inner : `(?:${inner})`;
      if (node.min === 0 && node.max === Infinity) return `${atom}*`;
      if (node.min === 1 && node.max === Infinity) return `${atom}+`;
      if (node.min === 0 && node.max === 1) return `${atom}?`;
      if (node.max === Infinity) return `${atom}{${node.min},}`;
      if (node.min === node.max) return `${atom}{${node.min}}`;
      return `${atom}{${node.min},${node.max}}`;
    }
  }
}

const SPECIALS: CodePointSet = [[0x00, 0x1f], [0x22, 0x22], [0x5c, 0x5c]];
const SHORT_ESCAPES = new Map<number, string>([[0x08, "b"], [0x09, "t"], [0x0a, "n"], [0x0c, "f"], [0x0d, "r"]]);

/** A class whose characters the engine cannot express (a large part of the non-ASCII range, nothing else). */
export class UnsupportedSetError extends Error {
  constructor() {
    super("character classes covering more than 64 non-ASCII characters (but not all of them) are not supported");
  }
}

/** Non-ASCII sets with at most this many members are written as alternatives of literal characters. */
const MAX_NON_ASCII_LITERALS = 64;
const NON_ASCII: CodePointSet = normalizeSet([[0x80, 0x10ffff]]);
const ASCII: CodePointSet = [[0x00, 0x7f]];

/**
 * One decoded character from `set`, as the JSON text that encodes it; always a single regex atom.
 *
 * The engine's character classes are only reliable over ASCII (positive ranges past U+07FF match too much, negated
 * classes cannot exclude non-ASCII), so a class is written as an ASCII class — negated when the set holds every
 * non-ASCII character — plus literal alternatives for a few non-ASCII members. A set holding only part of the
 * non-ASCII range beyond that (`.`, `\S`) keeps just its ASCII part: a stricter, still valid, subset.
 */
export function emitSet(input: CodePointSet): string {
  const nonAscii = subtract(input, ASCII);
  const allNonAscii = nonAscii.length === NON_ASCII.length && nonAscii.every(([lo, hi], i) => lo === NON_ASCII[i]![0] && hi === NON_ASCII[i]![1]);
  const extra: number[] = [];
  if (!allNonAscii) {
    let count = 0;
    for (const [lo, hi] of nonAscii) count += hi - lo + 1;
    if (count <= MAX_NON_ASCII_LITERALS) for (const [lo, hi] of nonAscii) for (let c = lo; c <= hi; c++) extra.push(c);
  }
  const set = allNonAscii ? input : subtract(input, NON_ASCII);
  const parts: string[] = [];
  const plainAscii = subtract(subtract(set, SPECIALS), NON_ASCII);
  if (allNonAscii) parts.push(`[^${complement(union(plainAscii, NON_ASCII)).map(classRange).join("")}]`);
  else if (plainAscii.length > 0) parts.push(emitClass(plainAscii));
  for (const c of extra) parts.push(String.fromCodePoint(c));
  if (has(set, 0x22)) parts.push('\\\\"');
  if (has(set, 0x5c)) parts.push("\\\\\\\\");
  const controls: number[] = [];
  for (let c = 0; c < 0x20; c++) if (has(set, c)) controls.push(c);
  if (controls.length === 32) parts.push("\\\\[bfnrt]", "\\\\u00[01][0-9a-f]");
  else {
    for (const c of controls) {
      const short = SHORT_ESCAPES.get(c);
      parts.push(short ? `\\\\${short}` : `\\\\u00${c.toString(16).padStart(2, "0")}`);
    }
  }
  if (parts.length === 0) throw new UnsupportedSetError();
  return parts.length === 1 ? parts[0]! : `(?:${parts.join("|")})`;
}

function classRange([lo, hi]: readonly [number, number]): string {
  return lo === hi ? classChar(lo) : `${classChar(lo)}-${classChar(hi)}`;
}

function emitClass(set: CodePointSet): string {
  if (set.length === 1 && set[0]![0] === set[0]![1]) return classChar(set[0]![0]);
  // A class starting with a literal '^' would read as negated once the engine unescapes it.
  const ranges = set[0]![0] === 0x5e ? [...set.slice(1), set[0]!] : set;
  return `[${ranges.map(classRange).join("")}]`;
}

function classChar(cp: number): string {
  if (/[0-9A-Za-z]/.test(String.fromCodePoint(cp))) return String.fromCodePoint(cp);
  return `\\u${cp.toString(16).padStart(4, "0")}`; // \\x would swallow a following hex digit
}
