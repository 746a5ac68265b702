import { GrammarError } from "./grammar-error.ts";
import type { FormatSpec } from "./grammar-spec.ts";
import { isObject } from "./normal-schema.ts";
import { checkJsonSchema } from "./schema-check.ts";

/**
 * OpenAI `response_format` → the grammar a chat completion is constrained by (null for text), or a GrammarError
 * whose path is the request field (`response_format.json_schema.schema.properties.age.minimum`). `strict` changes
 * nothing here: every schema we accept is enforced, whatever `strict` says.
 */
export function responseFormatGrammar(format: unknown): FormatSpec | null {
  if (format === undefined || format === null) return null;
  if (!isObject(format)) throw new GrammarError("invalid_schema", "'response_format' must be an object.", "response_format");
  switch (format.type) {
    case "text":
      return null;
    case "json_object":
      return { kind: "json_object" };
    case "json_schema": {
      const js = format.json_schema;
      if (!isObject(js)) throw new GrammarError("invalid_schema", "'json_schema' must be an object with 'name' and 'schema'.", "response_format.json_schema");
      if (typeof js.name !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(js.name)) {
        throw new GrammarError("invalid_schema", "'name' must be 1-64 letters, digits, underscores or dashes.", "response_format.json_schema.name");
      }
      if (js.strict !== undefined && js.strict !== null && typeof js.strict !== "boolean") {
        throw new GrammarError("invalid_schema", "'strict' must be a boolean.", "response_format.json_schema.strict");
      }
      // OpenAI treats a missing schema as any JSON value.
      const schema = js.schema === undefined ? {} : js.schema;
      try {
        return { kind: "json_schema", schema: checkJsonSchema(schema).schema };
      } catch (err) {
        throw err instanceof GrammarError ? err.under("response_format.json_schema.schema") : err;
      }
    }
    default:
      throw new GrammarError("invalid_schema", `response_format type ${JSON.stringify(format.type)} is not one of text, json_object, json_schema.`, "response_format.type");
  }
}
