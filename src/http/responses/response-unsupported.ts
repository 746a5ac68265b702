import { invalidRequest } from "../shared/api-error.ts";
import type { ResponsesRequest } from "./responses-request-schema.ts";

const MAX_METADATA = 16;

/**
 * Parameters the server cannot honour are refused by name, never ignored. Structured output (`text.format`
 * json_object / json_schema) and function tools arrive with the structured-output engine: then `text.format`
 * becomes a TokenConstraint factory on the generation request and `tools` a tool-call segmenter, as for chat.
 */
export function refuseUnsupported(body: ResponsesRequest): void {
  const format = body.text?.format?.type;
  if (format !== undefined && format !== "text") {
    throw invalidRequest(`text.format '${format.slice(0, 40)}' is not supported yet; only {"type": "text"} is.`, "text.format", "unsupported_parameter");
  }
  if (body.tools && body.tools.length > 0) throw invalidRequest("Tool calling ('tools') is not supported yet by this server.", "tools", "unsupported_parameter");
  if (body.tool_choice != null && body.tool_choice !== "none" && body.tool_choice !== "auto") {
    throw invalidRequest("'tool_choice' is not supported yet by this server (there are no tools to choose).", "tool_choice", "unsupported_parameter");
  }
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
