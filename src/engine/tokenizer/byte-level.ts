/**
 * GPT-2's byte-level alphabet: every byte maps to a printable character in the vocabulary's strings. The
 * inverse lets us report the exact bytes of a token (the chat logprobs `bytes` field) even when the token is
 * half of a UTF-8 character.
 */
let inverse: Map<string, number> | null = null;

function byteDecoder(): Map<string, number> {
  if (inverse) return inverse;
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  inverse = new Map(bs.map((b, i) => [String.fromCodePoint(cs[i]!), b]));
  return inverse;
}

/** Bytes of a byte-level vocabulary string, or null when a character is outside the alphabet. */
export function byteLevelBytes(token: string): number[] | null {
  const map = byteDecoder();
  const out: number[] = [];
  for (const ch of token) {
    const b = map.get(ch);
    if (b === undefined) return null;
    out.push(b);
  }
  return out;
}
