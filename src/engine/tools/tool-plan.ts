import type { CallsSpec } from "../grammar/grammar-spec.ts";
import { autoCallsGrammar, toolCallGrammar } from "./tool-call-grammar.ts";
import { newCallId, ToolCallParser } from "./tool-call-parser.ts";
import { toolRequest, type ToolRequest } from "./tool-definitions.ts";
import { toolFamily, type ToolFamily } from "./tool-family.ts";
import { renderTools, type ToolHistoryMessage, type ToolRendering } from "./tool-prompt.ts";

/** Everything a chat completion with tools needs from the engine, decided once per request. */
export interface ToolPlan {
  family: ToolFamily;
  tools: ToolRequest;
  /** Messages and `tools` for the chat template. */
  rendering: ToolRendering;
  /** The forced-call grammar (required / named), or null (auto: free text parsed after; none). */
  grammar: CallsSpec | null;
  /** Under auto: the calls the reply may make, for when a response format holds the rest of it (else null). */
  autoCalls: CallsSpec | null;
  /** A parser per choice, or null when output is not parsed for calls (tool_choice none). */
  parser: (() => ToolCallParser) | null;
  /** finish_reason when the choice made calls: OpenAI says "stop" for a forced named function, else "tool_calls". */
  callsFinishReason: "tool_calls" | "stop";
}

/**
 * From the request's tools to a plan; throws GrammarError (path = request field) for malformed tools or schemas we
 * cannot enforce. Returns null when the request has no tools (history may still carry calls: render with
 * `renderTools(template, history, null)`).
 */
export function toolPlan(
  template: string | null,
  specialTokens: readonly string[],
  history: ToolHistoryMessage[],
  body: { tools?: unknown; tool_choice?: unknown; parallel_tool_calls?: unknown },
): ToolPlan | null {
  const tools = toolRequest(body.tools, body.tool_choice, body.parallel_tool_calls);
  if (!tools) return null;
  const family = toolFamily(template, specialTokens);
  return {
    family,
    tools,
    rendering: renderTools(template, history, tools),
    grammar: toolCallGrammar(family, tools),
    autoCalls: autoCallsGrammar(family, tools),
    parser: tools.choice.kind === "none" ? null : () => new ToolCallParser(family, newCallId, tools.parallel ? Number.POSITIVE_INFINITY : 1),
    callsFinishReason: tools.choice.kind === "function" ? "stop" : "tool_calls",
  };
}
