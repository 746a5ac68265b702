import type { NormalSchema } from "./normal-schema.ts";

/** One JSON value in literal wrapping text: a tool call is `begin` + arguments matching `schema` + `end`. */
export interface TaggedJson {
  begin: string;
  schema: NormalSchema;
  end: string;
}

/**
 * What a constrained sequence must produce. Schemas are always in our normal form (schema-check.ts); tool calls
 * are one or more tagged JSON values in a row (`parallel`), or exactly one, inside `prefix` … `suffix`.
 */
export type FormatSpec = { kind: "json_schema"; schema: NormalSchema } | { kind: "json_object" };
export type CallsSpec = { kind: "tagged_json"; prefix: string; tags: TaggedJson[]; separator: string; suffix: string; parallel: boolean };

/**
 * `format_or_calls`: tools under tool_choice "auto" with a JSON response format — the reply is either the JSON
 * document or tool calls, whichever the model starts (OpenAI's contract for the pair).
 */
export type GrammarSpec = FormatSpec | CallsSpec | { kind: "format_or_calls"; format: FormatSpec; calls: CallsSpec };

/** The compiled-grammar cache key: equal keys compile to the same grammar. */
export function specKey(spec: GrammarSpec): string {
  return JSON.stringify(spec);
}
