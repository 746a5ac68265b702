import type { Static, TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { ApiError, invalidRequest } from "./api-error.ts";
import { currentObservation } from "../observability/request-observation.ts";
import { readBodyUpTo } from "./bounded-body.ts";
import { explainValidationError } from "./explain-validation-error.ts";
import { jsonPointerToParam } from "./json-pointer.ts";
import { MAX_JSON_DEPTH, exceedsJsonDepth } from "./json-depth.ts";

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
  const bytes = await readBodyUpTo(request, maxBytes);
  if (bytes === null) throw tooLarge(maxBytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw invalidRequest("The request body is not valid UTF-8.", null, "invalid_encoding");
  }
  if (text.trim() === "") throw invalidRequest("The request body is empty; expected a JSON object.", null, "invalid_json");
  if (exceedsJsonDepth(text)) throw invalidRequest(`The request body nests JSON deeper than ${MAX_JSON_DEPTH} levels.`, null, "invalid_json");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw invalidRequest(`The request body is not valid JSON: ${(err as Error).message}`, null, "invalid_json");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw invalidRequest("The request body must be a JSON object.", null, "invalid_json");
  }
  currentObservation()?.noteModel((body as { model?: unknown }).model);
  const first = Value.Errors(schema, body).First();
  if (first) throw validationError(first.path, explainValidationError(first), first.value, body);
  return body as Static<S>;
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError({ status: 413, type: "invalid_request_error", code: "request_too_large", message: `The request body is larger than the server's limit of ${maxBytes} bytes (MAX_BODY_BYTES).` });
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
