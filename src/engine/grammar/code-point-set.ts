/**
 * Sets of Unicode code points as sorted, merged, inclusive ranges: what a regex character class means before
 * it is rewritten for the grammar engine. Surrogates are never members (they are not characters in UTF-8).
 */
export type CodePointSet = readonly (readonly [number, number])[];

export const MAX_CODE_POINT = 0x10ffff;
const SURROGATES: CodePointSet = [[0xd800, 0xdfff]];

export function normalizeSet(ranges: (readonly [number, number])[]): CodePointSet {
  const sorted = ranges.filter(([lo, hi]) => lo <= hi).map(([lo, hi]) => [lo, hi] as [number, number]).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return subtractRaw(out, SURROGATES);
}

export function union(...sets: CodePointSet[]): CodePointSet {
  return normalizeSet(sets.flat() as [number, number][]);
}

export function complement(set: CodePointSet): CodePointSet {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return normalizeSet(out);
}

export function subtract(set: CodePointSet, remove: CodePointSet): CodePointSet {
  return subtractRaw(set, remove);
}

function subtractRaw(set: CodePointSet, remove: CodePointSet): [number, number][] {
  let current: [number, number][] = set.map(([lo, hi]) => [lo, hi]);
  for (const [rlo, rhi] of remove) {
    const next: [number, number][] = [];
    for (const [lo, hi] of current) {
      if (rhi < lo || rlo > hi) next.push([lo, hi]);
      else {
        if (lo < rlo) next.push([lo, rlo - 1]);
        if (hi > rhi) next.push([rhi + 1, hi]);
      }
    }
    current = next;
  }
  return current;
}

export function has(set: CodePointSet, cp: number): boolean {
  return set.some(([lo, hi]) => cp >= lo && cp <= hi);
}

export function isEmpty(set: CodePointSet): boolean {
  return set.length === 0;
}

export const DIGITS: CodePointSet = [[0x30, 0x39]];
export const WORD: CodePointSet = normalizeSet([[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]]);
/** ECMAScript's \s: WhiteSpace and LineTerminator. */
export const SPACE: CodePointSet = normalizeSet([
  [0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029], [0x202f, 0x202f],
  [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff],
]);
/** ECMAScript's `.` without the s flag: everything but line terminators. */
export const DOT: CodePointSet = complement(normalizeSet([[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]]));
export const ANY: CodePointSet = complement([]);
