import { newId, unixSeconds } from "../shared/ids.ts";
import type { ResponseHead } from "./response-run.ts";
import { echoedTools } from "./response-tools.ts";
import type { ResponsesRequest } from "./responses-request-schema.ts";

/**
 * The fields a response repeats from its request, with OpenAI's defaults where the request left them out and
 * the values that hold for this server (function tools only, no reasoning, one service tier, no truncation).
 */
export function responseHead(body: ResponsesRequest, metadata: Record<string, string>): ResponseHead {
  const { tools, tool_choice, format } = echoedTools(body);
  return {
    id: newId("resp", "_"),
    object: "response",
    created_at: unixSeconds(),
    model: body.model,
    instructions: body.instructions ?? null,
    metadata,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    temperature: body.temperature ?? 1,
    top_p: body.top_p ?? 1,
    tool_choice,
    tools,
    access_programs: null,
    background: false,
    max_output_tokens: body.max_output_tokens ?? null,
    max_tool_calls: body.max_tool_calls ?? null,
    previous_response_id: body.previous_response_id ?? null,
    prompt_cache_key: body.prompt_cache_key ?? null,
    reasoning: { effort: null, summary: null },
    safety_identifier: body.safety_identifier ?? null,
    service_tier: "default",
    text: { format, verbosity: body.text?.verbosity ?? "medium" },
    top_logprobs: body.top_logprobs ?? 0,
    truncation: "disabled",
    ...(body.user != null ? { user: body.user } : {}),
  };
}
