import type { CallsSpec } from "../grammar/grammar-spec.ts";
import type { ToolRequest } from "./tool-definitions.ts";
import type { ToolFamily } from "./tool-family.ts";

/**
 * The grammar forcing a valid call in the family's syntax, for tool_choice "required" (one or more calls of any
 * function; exactly one when parallel_tool_calls is false) or a named function (exactly that one). Arguments follow
 * each function's parameters schema; special-token markers (<|python_tag|>, [TOOL_CALLS]) are left out because
 * special tokens are never allowed inside constrained text, and our parsers accept the calls without them.
 * Returns null when nothing is forced (auto, none).
 */
export function toolCallGrammar(family: ToolFamily, tools: ToolRequest): CallsSpec | null {
  const { choice } = tools;
  if (choice.kind !== "required" && choice.kind !== "function") return null;
  const functions = choice.kind === "function" ? tools.functions.filter((f) => f.name === choice.name) : tools.functions;
  return callsGrammar(family, functions, choice.kind === "required" && tools.parallel);
}

/** The calls a reply may make under tool_choice "auto", when a response format also constrains it (one or the other). */
export function autoCallsGrammar(family: ToolFamily, tools: ToolRequest): CallsSpec | null {
  return tools.choice.kind === "auto" ? callsGrammar(family, tools.functions, tools.parallel) : null;
}

function callsGrammar(family: ToolFamily, functions: ToolRequest["functions"], parallel: boolean): CallsSpec {
  const argsKey = family === "llama3" ? "parameters" : "arguments";
  const tags = functions.map((f) => {
    const head = `{"name": ${JSON.stringify(f.name)}, "${argsKey}": `;
    return family === "hermes" || family === "default"
      ? { begin: `<tool_call>\n${head}`, schema: f.schema, end: "}\n</tool_call>" }
      : { begin: head, schema: f.schema, end: "}" };
  });
  if (family === "mistral") return { kind: "tagged_json", prefix: "[", tags, separator: ", ", suffix: "]", parallel };
  if (family === "llama3") return { kind: "tagged_json", prefix: "", tags, separator: "; ", suffix: "", parallel };
  return { kind: "tagged_json", prefix: "", tags, separator: "\n", suffix: "", parallel };
}
