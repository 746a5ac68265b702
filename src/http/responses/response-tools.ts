import { GrammarError } from "../../engine/grammar/grammar-error.ts";
import type { FormatSpec } from "../../engine/grammar/grammar-spec.ts";
import { isObject } from "../../engine/grammar/normal-schema.ts";
import { responseFormatGrammar } from "../../engine/grammar/response-format.ts";
import { toolPlan, type ToolPlan } from "../../engine/tools/tool-plan.ts";
import type { ToolHistoryMessage } from "../../engine/tools/tool-prompt.ts";
import type { ResponsesRequest } from "./responses-request-schema.ts";
import type { ResponseHead } from "./response-run.ts";

/**
 * The Responses API spells tools, tool_choice and text.format flatter than chat (`{type: "function", name,
 * parameters}`, `{type: "function", name}`, `{type: "json_schema", name, schema}`); they are read by the same
 * engine code as chat's, and an error's path is given back in this API's field names.
 */

/** `text.format` → the grammar the output is held to (null: text). */
export function textFormatGrammar(format: unknown): FormatSpec | null {
  if (format === undefined || format === null) return null;
  const asChat = isObject(format) && format.type === "json_schema"
    ? { type: "json_schema", json_schema: { name: format.name, schema: format.schema, strict: format.strict } }
    : format;
  return renamed(() => responseFormatGrammar(asChat), [["response_format.json_schema", "text.format"], ["response_format", "text.format"]]);
}

/** `tools` / `tool_choice` / `parallel_tool_calls` → the tool plan chat would make for the same conversation. */
export function responseToolPlan(template: string | null, specialTokens: readonly string[], history: ToolHistoryMessage[], body: ResponsesRequest): ToolPlan | null {
  const tools = Array.isArray(body.tools)
    ? body.tools.map((t) => (isObject(t) && t.type === "function" ? { type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } } : t))
    : body.tools;
  const choice = isObject(body.tool_choice) && body.tool_choice.type === "function" ? { type: "function", function: { name: body.tool_choice.name } } : body.tool_choice;
  return renamed(
    () => toolPlan(template, specialTokens, history, { tools, tool_choice: choice, parallel_tool_calls: body.parallel_tool_calls }),
    [[/^tools\[(\d+)\]\.function\./, "tools[$1]."], ["tool_choice.function.name", "tool_choice.name"]],
  );
}

/** What the response echoes of its request's tools, tool_choice and text.format (openai-node's shapes). */
export function echoedTools(body: ResponsesRequest): Pick<ResponseHead, "tools" | "tool_choice"> & { format: ResponseHead["text"]["format"] } {
  const tools = (body.tools ?? []).filter(isObject).map((t) => ({
    type: "function" as const,
    name: String(t.name),
    ...(typeof t.description === "string" ? { description: t.description } : {}),
    parameters: isObject(t.parameters) ? t.parameters : null,
    // Functions are strict by default in the Responses API; a forced call is enforced either way.
    strict: typeof t.strict === "boolean" ? t.strict : true,
  }));
  const c = body.tool_choice;
  const tool_choice = c === "none" || c === "required" ? c : isObject(c) && c.type === "function" ? { type: "function" as const, name: String(c.name) } : "auto";
  const f = body.text?.format as Record<string, unknown> | null | undefined;
  const format =
    f?.type === "json_object" ? { type: "json_object" as const }
    : f?.type === "json_schema" ? {
        type: "json_schema" as const,
        name: String(f.name),
        schema: isObject(f.schema) ? f.schema : {},
        strict: typeof f.strict === "boolean" ? f.strict : null,
        ...(typeof f.description === "string" ? { description: f.description } : {}),
      }
    : { type: "text" as const };
  return { tools, tool_choice, format };
}

/** Runs `read`, giving a GrammarError's path back with chat's field names replaced by this API's. */
function renamed<T>(read: () => T, names: [string | RegExp, string][]): T {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof GrammarError)) throw err;
    let path = err.path;
    for (const [from, to] of names) {
      const next = typeof from === "string" ? (path.startsWith(from) ? to + path.slice(from.length) : path) : path.replace(from, to);
      if (next !== path) {
        path = next;
        break;
      }
    }
    throw new GrammarError(err.code, err.message, path);
  }
}
