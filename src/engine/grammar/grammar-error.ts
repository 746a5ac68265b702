/**
 * What structured output raises below HTTP: a schema, a pattern or a tool definition we cannot enforce, or a
 * grammar engine failure. `path` names the offending place inside what the caller handed over (a JSON-schema
 * path such as `properties.age.minimum`, or `tools[1].function.name`); the caller prefixes its own field
 * (`response_format.json_schema.schema`) and src/http maps the error to a 400 with that `param` once.
 *
 * | code                  | when                                                                        |
 * |-----------------------|-----------------------------------------------------------------------------|
 * | unsupported_keyword   | a keyword we would not enforce (number bounds, allOf, not, if/then, ...)     |
 * | invalid_schema        | not a JSON schema, or structurally wrong (min > max, unknown $ref, bad type) |
 * | unsupported_pattern   | a regex feature outside the subset we translate (lookaround, backrefs, ...)  |
 * | schema_too_complex    | a schema past our size limits, or one whose compile ran past its time limit  |
 * | invalid_tools         | a malformed `tools` array or `tool_choice`                                  |
 * | engine_failed         | the grammar engine failed on input that passed our checks (a bug: logged)   |
 */
export type GrammarErrorCode =
  | "unsupported_keyword"
  | "invalid_schema"
  | "unsupported_pattern"
  | "schema_too_complex"
  | "invalid_tools"
  | "engine_failed";

export class GrammarError extends Error {
  override name = "GrammarError";

  constructor(
    readonly code: GrammarErrorCode,
    message: string,
    /** Where inside the caller's input, dot/bracket notation; "" is the input itself. */
    readonly path: string = "",
  ) {
    super(message);
  }

  /** The same error with `prefix` put before its path (`response_format.json_schema.schema` + `.properties.a`). */
  under(prefix: string): GrammarError {
    const path = this.path === "" ? prefix : this.path.startsWith("[") ? `${prefix}${this.path}` : `${prefix}.${this.path}`;
    return new GrammarError(this.code, this.message, path);
  }
}

/** Appends a property name to a path the way OpenAI's `param` shows it. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  const plain = /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key);
  if (!plain) return `${path}[${JSON.stringify(key)}]`;
  return path === "" ? key : `${path}.${key}`;
}
