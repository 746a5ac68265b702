import { childPath, GrammarError } from "../grammar/grammar-error.ts";
import { isObject, type NormalSchema } from "../grammar/normal-schema.ts";
import { checkJsonSchema } from "../grammar/schema-check.ts";

/** One function the model may call, its parameters checked against our allow-list. */
export interface ToolFunction {
  name: string;
  description: string | null;
  /** As the client sent it (what templates render). */
  parameters: Record<string, unknown>;
  /** Normal form (what constrained calls enforce). */
  schema: NormalSchema;
}

export type ToolChoice = { kind: "none" } | { kind: "auto" } | { kind: "required" } | { kind: "function"; name: string };

export interface ToolRequest {
  functions: ToolFunction[];
  choice: ToolChoice;
  /** false: at most one call per turn. */
  parallel: boolean;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * OpenAI `tools` / `tool_choice` / `parallel_tool_calls` → what the engine renders, constrains and parses, or a
 * GrammarError naming the field (`tools[1].function.parameters.properties.x.minimum`, `tool_choice`).
 */
export function toolRequest(tools: unknown, toolChoice: unknown, parallel: unknown): ToolRequest | null {
  if (tools === undefined || tools === null) {
    if (toolChoice !== undefined && toolChoice !== null && toolChoice !== "none" && toolChoice !== "auto") {
      throw new GrammarError("invalid_tools", "'tool_choice' needs 'tools'.", "tool_choice");
    }
    return null;
  }
  if (!Array.isArray(tools)) throw new GrammarError("invalid_tools", "'tools' must be an array.", "tools");
  if (tools.length > 128) throw new GrammarError("invalid_tools", "'tools' may list at most 128 tools.", "tools");
  const functions = tools.map((t, i) => toolFunction(t, `tools[${i}]`));
  functions.forEach((f, i) => {
    if (functions.findIndex((g) => g.name === f.name) !== i) throw new GrammarError("invalid_tools", `function name '${f.name}' is used twice.`, `tools[${i}].function.name`);
  });
  if (parallel !== undefined && parallel !== null && typeof parallel !== "boolean") throw new GrammarError("invalid_tools", "'parallel_tool_calls' must be a boolean.", "parallel_tool_calls");
  const choice = toolChoiceOf(toolChoice, functions, tools.length);
  return { functions, choice, parallel: parallel !== false };
}

function toolFunction(t: unknown, at: string): ToolFunction {
  if (!isObject(t)) throw new GrammarError("invalid_tools", "each tool must be an object.", at);
  if (t.type !== "function") throw new GrammarError("invalid_tools", `tool type ${JSON.stringify(t.type)} is not supported; only 'function' is.`, `${at}.type`);
  const f = t.function;
  if (!isObject(f)) throw new GrammarError("invalid_tools", "'function' must be an object with a 'name'.", `${at}.function`);
  if (typeof f.name !== "string" || !NAME.test(f.name)) {
    throw new GrammarError("invalid_tools", "the function name must be 1-64 letters, digits, underscores or dashes.", `${at}.function.name`);
  }
  if (f.description !== undefined && f.description !== null && typeof f.description !== "string") {
    throw new GrammarError("invalid_tools", "'description' must be a string.", `${at}.function.description`);
  }
  const parameters = f.parameters === undefined || f.parameters === null ? { type: "object", properties: {} } : f.parameters;
  if (!isObject(parameters)) throw new GrammarError("invalid_tools", "'parameters' must be a JSON schema object.", `${at}.function.parameters`);
  let schema: NormalSchema;
  try {
    schema = checkJsonSchema(parameters).schema;
  } catch (err) {
    throw err instanceof GrammarError ? err.under(`${at}.function.parameters`) : err;
  }
  if (schema.type !== "object" && !(typeof schema.$ref === "string")) {
    throw new GrammarError("invalid_tools", "function parameters must describe a JSON object (\"type\": \"object\").", childPath(`${at}.function.parameters`, "type"));
  }
  return { name: f.name, description: (f.description as string | undefined) ?? null, parameters, schema };
}

function toolChoiceOf(c: unknown, functions: ToolFunction[], count: number): ToolChoice {
  if (c === undefined || c === null) return count > 0 ? { kind: "auto" } : { kind: "none" };
  if (c === "required" && functions.length === 0) throw new GrammarError("invalid_tools", "tool_choice \"required\" needs at least one tool in 'tools'.", "tool_choice");
  if (c === "none" || c === "auto" || c === "required") return { kind: c };
  if (isObject(c) && c.type === "function" && isObject(c.function) && typeof c.function.name === "string") {
    const name = c.function.name;
    if (!functions.some((f) => f.name === name)) throw new GrammarError("invalid_tools", `tool_choice names function '${name.slice(0, 64)}', which 'tools' does not define.`, "tool_choice.function.name");
    return { kind: "function", name };
  }
  throw new GrammarError("invalid_tools", "'tool_choice' must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": …}}.", "tool_choice");
}
