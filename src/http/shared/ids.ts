/** OpenAI-style ids: a prefix and 24 random alphanumerics (`chatcmpl-…`; the Responses API writes `resp_…`). */
export function newId(prefix: string, separator: "-" | "_" = "-"): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  let s = "";
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return `${prefix}${separator}${s}`;
}

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
