import { invalidRequest } from "../shared/api-error.ts";
import type { ResponsesRequest } from "./responses-request-schema.ts";

const MAX_METADATA = 16;

/**
 * Parameters the server cannot honour are refused by name, never ignored. (`text.format`, function `tools` and
 * `tool_choice` are honoured: response-tools.ts reads them; a hosted tool type is refused there by name.)
 */
export function refuseUnsupported(body: ResponsesRequest): void {
  if (body.reasoning?.effort != null && body.reasoning.effort !== "none") {
    throw invalidRequest(`'reasoning.effort' is not supported with model '${body.model}': it is not a reasoning model.`, "reasoning.effort", "unsupported_parameter");
  }
  if (body.truncation === "auto") throw invalidRequest("truncation 'auto' is not supported; an input that does not fit the context is a 400.", "truncation", "unsupported_parameter");
  if (body.background) throw invalidRequest("Background responses are not supported by this server; stream instead.", "background", "unsupported_parameter");
  if (body.conversation != null) throw invalidRequest("Conversations are not supported by this server; continue with previous_response_id.", "conversation", "unsupported_parameter");
  if (body.prompt != null) throw invalidRequest("Prompt templates ('prompt') are not supported by this server.", "prompt", "unsupported_parameter");
}

/** OpenAI's metadata limits: 16 pairs, keys up to 64 characters, values up to 512. */
export function checkMetadata(metadata: Record<string, string> | null | undefined): Record<string, string> {
  const entries = Object.entries(metadata ?? {});
  if (entries.length > MAX_METADATA) throw invalidRequest(`'metadata' may have at most ${MAX_METADATA} pairs, got ${entries.length}.`, "metadata");
  for (const [key, value] of entries) {
    if (key.length > 64) throw invalidRequest(`'metadata' keys may be at most 64 characters; '${key.slice(0, 40)}…' has ${key.length}.`, "metadata");
    if (value.length > 512) throw invalidRequest(`'metadata' values may be at most 512 characters; '${key}' has ${value.length}.`, `metadata.${key}`);
  }
  return metadata ?? {};
}
