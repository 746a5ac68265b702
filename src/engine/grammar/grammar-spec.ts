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
export type GrammarSpec =
  | { kind: "json_schema"; schema: NormalSchema }
  | { kind: "json_object" }
  | { kind: "tagged_json"; prefix: string; tags: TaggedJson[]; separator: string; suffix: string; parallel: boolean };

/** The compiled-grammar cache key: equal keys compile to the same grammar. */
export function specKey(spec: GrammarSpec): string {
  return JSON.stringify(spec);
}
