/**
 * Our normal form of a JSON schema: what schema-check.ts makes of a client's schema, and the only thing the grammar
 * engine and our length overlay ever see. One shape per node, JSON all the way (it crosses to the engine worker):
 *
 * - `{}` any value · `{"anyOf": [...]}` · `{"$ref": "#"}` or `{"$ref": "#/$defs/dN"}` (definitions renamed d0, d1, …,
 *   kept in the root's `$defs`) · `{"enum": [...]}` · `{"const": v}`
 * - `{"type": "object", "properties"?, "required"?, "additionalProperties"?: boolean | schema}`
 * - `{"type": "array", "prefixItems"?, "items": schema | false, "minItems"?, "maxItems"?}`
 * - `{"type": "string", "pattern"?, "minLength"?, "maxLength"?}` — `pattern` is already the engine's regex over the
 *   JSON text; the lengths are enforced by our overlay and removed before the engine compiles.
 * - `{"type": "integer", "minimum"?, "maximum"?}` (inclusive, whole numbers; enforced by our overlay too, as the
 *   engine's integer ranges admit values outside them) · `{"type": "number" | "boolean" | "null"}`
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type NormalSchema = { [key: string]: JsonValue };

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The definition a `$ref` names inside `root`, or the root itself for "#". */
export function resolveRef(root: NormalSchema, ref: string): NormalSchema {
  if (ref === "#") return root;
  const name = ref.slice("#/$defs/".length);
  const defs = root.$defs as Record<string, NormalSchema> | undefined;
  const target = defs?.[name];
  if (!target) throw new Error(`normal schema has no definition ${ref}`);
  return target;
}

/** Keywords our overlay enforces instead of the engine: string lengths (slow there) and integer bounds (wrong there). */
const OVERLAY_KEYWORDS: Readonly<Record<string, readonly string[]>> = { string: ["minLength", "maxLength"], integer: ["minimum", "maximum"] };

/** Whether this node carries a bound only our overlay enforces. */
export function isBounded(node: NormalSchema): boolean {
  const keys = OVERLAY_KEYWORDS[node.type as string];
  return keys !== undefined && keys.some((k) => node[k] !== undefined);
}

/** The schema without what only our overlay enforces: the engine's input. */
export function engineSchema(node: JsonValue): JsonValue {
  if (Array.isArray(node)) return node.map(engineSchema);
  if (!isObject(node)) return node;
  const out: { [key: string]: JsonValue } = {};
  const skip = OVERLAY_KEYWORDS[node.type as string] ?? [];
  for (const [k, v] of Object.entries(node)) {
    if (skip.includes(k)) continue;
    // enum / const values are data, not schemas
    out[k] = k === "enum" || k === "const" ? (v as JsonValue) : engineSchema(v as JsonValue);
  }
  return out;
}

/** Whether any node carries an overlay-enforced bound (so the overlay is needed at all). */
export function needsOverlay(node: JsonValue): boolean {
  if (Array.isArray(node)) return node.some(needsOverlay);
  if (!isObject(node)) return false;
  if (isBounded(node as NormalSchema)) return true;
  return Object.entries(node).some(([k, v]) => k !== "enum" && k !== "const" && needsOverlay(v as JsonValue));
}
