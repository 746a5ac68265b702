import type { Static, TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { ApiError, invalidRequest } from "../../errors/api-error.ts";

/**
 * The request body, parsed and checked against the route's TypeBox schema. Every failure is a 400 (413 for
 * size) naming the field, in the `messages[0].content` style OpenAI uses for `param`.
 */
export async function readJsonBody<S extends TSchema>(request: Request, schema: S, maxBytes: number): Promise<Static<S>> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const ct = (request.headers.get("content-type") ?? "").toLowerCase();
  if (ct && !ct.includes("json")) {
    throw invalidRequest(`Expected Content-Type: application/json, got '${ct}'.`, null, "unsupported_media_type");
  }
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.length > maxBytes) throw tooLarge(maxBytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw invalidRequest("The request body is not valid UTF-8.", null, "invalid_encoding");
  }
  if (text.trim() === "") throw invalidRequest("The request body is empty; expected a JSON object.", null, "invalid_json");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw invalidRequest(`The request body is not valid JSON: ${(err as Error).message}`, null, "invalid_json");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw invalidRequest("The request body must be a JSON object.", null, "invalid_json");
  }
  const first = Value.Errors(schema, body).First();
  if (first) throw validationError(first.path, first.message, first.value, body);
  return body as Static<S>;
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError({ status: 413, type: "invalid_request_error", code: "request_too_large", message: `The request body is larger than the server's limit of ${maxBytes} bytes (MAX_BODY_BYTES).` });
}

/** `/messages/0/content` → `messages[0].content`. */
export function jsonPointerToParam(path: string): string {
  return path
    .split("/")
    .filter(Boolean)
    .map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
    .join("");
}

function validationError(path: string, message: string, value: unknown, body: object): ApiError {
  const param = jsonPointerToParam(path) || null;
  if (param === null || (message.startsWith("Expected required property") && !path)) {
    return invalidRequest(`Invalid request: ${message}.`, param, "invalid_request");
  }
  const missing = value === undefined && !(path.split("/").pop()! in (body as Record<string, unknown>));
  const shown = value === undefined ? "" : ` (got ${preview(value)})`;
  return invalidRequest(
    missing ? `Missing required parameter: '${param}'.` : `Invalid value for '${param}': ${message.toLowerCase()}${shown}.`,
    param,
    missing ? "missing_required_parameter" : "invalid_value",
  );
}

function preview(value: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
