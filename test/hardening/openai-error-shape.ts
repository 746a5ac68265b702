/** Why `text` is not exactly {"error": {message, type, param, code}} (null when it is). */
export function errorShapeProblem(text: string): string | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 80)}`;
  }
  if (!body || typeof body !== "object" || Array.isArray(body)) return "not an object";
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== "error") return `top-level keys ${keys.join(",")}`;
  const e = (body as { error: unknown }).error;
  if (!e || typeof e !== "object") return "error is not an object";
  const err = e as Record<string, unknown>;
  if (Object.keys(err).sort().join(",") !== "code,message,param,type") return `error keys ${Object.keys(err).join(",")}`;
  if (typeof err.message !== "string" || err.message.length === 0) return "empty message";
  if (typeof err.type !== "string") return "type not a string";
  if (err.param !== null && typeof err.param !== "string") return "param not string|null";
  if (err.code !== null && typeof err.code !== "string") return "code not string|null";
  return null;
}
