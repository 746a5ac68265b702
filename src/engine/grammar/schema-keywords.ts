/**
 * The allow-list: which JSON Schema keywords we enforce, which are annotations we accept and ignore, and why the
 * rest are refused. A keyword not named here is refused as unknown, so nothing is ever silently unenforced.
 */
export const JSON_TYPES = ["object", "array", "string", "number", "integer", "boolean", "null"] as const;
export type JsonType = (typeof JSON_TYPES)[number];

/** No assertion in JSON Schema: accepted anywhere, dropped. `discriminator` is OpenAPI's (pydantic emits it). */
export const ANNOTATIONS = new Set(["title", "description", "default", "examples", "$comment", "deprecated", "readOnly", "writeOnly", "discriminator"]);
/** Accepted only on the root schema. */
export const ROOT_ONLY = new Set(["$schema", "$id", "$defs", "definitions"]);

export const OBJECT_KEYWORDS = ["properties", "required", "additionalProperties"];
export const ARRAY_KEYWORDS = ["items", "prefixItems", "minItems", "maxItems"];
export const STRING_KEYWORDS = ["minLength", "maxLength", "pattern", "format"];
export const INTEGER_KEYWORDS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"];
export const COMBINATOR_KEYWORDS = ["$ref", "anyOf", "oneOf", "allOf", "enum", "const", "type"];

const NOT_ENFORCED = "is not enforced by this server's grammar engine";
/** Known keywords we refuse, with the reason the client sees. */
export const REFUSED_KEYWORDS: Readonly<Record<string, string>> = {
  not: `'not' ${NOT_ENFORCED}`,
  if: `'if'/'then'/'else' ${NOT_ENFORCED}`,
  then: `'if'/'then'/'else' ${NOT_ENFORCED}`,
  else: `'if'/'then'/'else' ${NOT_ENFORCED}`,
  uniqueItems: `'uniqueItems' ${NOT_ENFORCED}`,
  multipleOf: `'multipleOf' ${NOT_ENFORCED}`,
  patternProperties: `'patternProperties' ${NOT_ENFORCED}`,
  propertyNames: `'propertyNames' ${NOT_ENFORCED}`,
  minProperties: `'minProperties' ${NOT_ENFORCED}`,
  maxProperties: `'maxProperties' ${NOT_ENFORCED}`,
  dependentRequired: `'dependentRequired' ${NOT_ENFORCED}`,
  dependentSchemas: `'dependentSchemas' ${NOT_ENFORCED}`,
  dependencies: `'dependencies' ${NOT_ENFORCED}`,
  contains: `'contains' ${NOT_ENFORCED}`,
  minContains: `'minContains' ${NOT_ENFORCED}`,
  maxContains: `'maxContains' ${NOT_ENFORCED}`,
  unevaluatedProperties: `'unevaluatedProperties' ${NOT_ENFORCED}`,
  unevaluatedItems: `'unevaluatedItems' ${NOT_ENFORCED}`,
  contentEncoding: `'contentEncoding' ${NOT_ENFORCED}`,
  contentMediaType: `'contentMediaType' ${NOT_ENFORCED}`,
  contentSchema: `'contentSchema' ${NOT_ENFORCED}`,
  $anchor: "'$anchor' is not supported; use $ref to '#/$defs/…'",
  $dynamicRef: "'$dynamicRef' is not supported",
  $dynamicAnchor: "'$dynamicAnchor' is not supported",
  $recursiveRef: "'$recursiveRef' is not supported",
  $recursiveAnchor: "'$recursiveAnchor' is not supported",
  $vocabulary: "'$vocabulary' is not supported",
  nullable: "'nullable' is OpenAPI 3.0, not JSON Schema; write \"type\": [\"…\", \"null\"] or anyOf with {\"type\": \"null\"}",
};
