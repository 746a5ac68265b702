/** `/messages/0/content` → `messages[0].content`: the `param` style OpenAI errors use. */
export function jsonPointerToParam(path: string): string {
  return path
    .split("/")
    .filter(Boolean)
    .map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
    .join("");
}
