/**
 * Nesting depth of JSON text, counted without parsing: `[`/`{` outside strings. Checked before JSON.parse
 * because a 4 MB body of `[[[[…` parses into two million nested arrays (hundreds of MB for a moment) and
 * then overflows the stack of anything that walks it. No OpenAI request nests anywhere near the limit.
 */
export const MAX_JSON_DEPTH = 128;

export function exceedsJsonDepth(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
