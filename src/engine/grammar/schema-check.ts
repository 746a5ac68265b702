import { childPath, GrammarError } from "./grammar-error.ts";
import { isObject, type JsonValue, type NormalSchema } from "./normal-schema.ts";
import {
  ANNOTATIONS, ARRAY_KEYWORDS, INTEGER_KEYWORDS, JSON_TYPES, OBJECT_KEYWORDS, REFUSED_KEYWORDS, ROOT_ONLY, STRING_KEYWORDS,
  type JsonType,
} from "./schema-keywords.ts";
import { count, integerSchema, LIMITS, stringSchema } from "./scalar-schema.ts";
import { checkSoundness } from "./schema-soundness.ts";

/** What passed the allow-list: the normal form (see normal-schema.ts) and its canonical text, the cache key. */
export interface CheckedSchema {
  schema: NormalSchema;
  key: string;
}

/**
 * Our own allow-list validator, run before anything reaches the grammar engine: every keyword is enforced,
 * an annotation (dropped), or refused with its JSON path. It also rejects what would make the engine abort or
 * never finish (min > max, unknown $ref, bad types, recursion without an end), so the engine only ever sees
 * input it handles.
 */
export function checkJsonSchema(input: unknown): CheckedSchema {
  const checker = new SchemaChecker(input);
  const schema = checker.root();
  const paths = checker.paths;
  checkSoundness(schema, { pathOf: (node) => paths.get(node) ?? "", isOneOf: (node) => checker.oneOfs.has(node) });
  return { schema, key: JSON.stringify(schema) };
}

class SchemaChecker {
  readonly paths = new WeakMap<object, string>();
  /** anyOf nodes that came from oneOf: their branches must be disjoint for anyOf to mean the same. */
  readonly oneOfs = new WeakSet<object>();
  private nodes = 0;
  private readonly defsIn = new Map<string, { input: unknown; path: string }>();
  private readonly defNames = new Map<string, string>(); // input ref → d0, d1, …
  private readonly defsOut: Record<string, NormalSchema> = {};
  private readonly pending: { ref: string; name: string }[] = [];

  constructor(private readonly input: unknown) {}

  root(): NormalSchema {
    const input = this.input;
    if (input === true) return {};
    if (input === false) throw new GrammarError("invalid_schema", "the schema 'false' admits no value.", "");
    if (!isObject(input)) throw new GrammarError("invalid_schema", "the schema must be a JSON object.", "");
    for (const key of ["$defs", "definitions"] as const) {
      const defs = input[key];
      if (defs === undefined) continue;
      if (!isObject(defs)) throw new GrammarError("invalid_schema", `'${key}' must be an object of schemas.`, key);
      for (const [name, def] of Object.entries(defs)) this.defsIn.set(`#/${key}/${escapePointer(name)}`, { input: def, path: childPath(key, name) });
    }
    if (input.$schema !== undefined && typeof input.$schema !== "string") throw new GrammarError("invalid_schema", "'$schema' must be a string.", "$schema");
    const root = this.node(input, "", 0);
    // Definitions are normalized as they are first referenced; references inside them may add more.
    while (this.pending.length > 0) {
      const { ref, name } = this.pending.shift()!;
      const def = this.defsIn.get(ref)!;
      this.defsOut[name] = this.node(def.input, def.path, 1);
    }
    if (Object.keys(this.defsOut).length === 0) return root;
    const withDefs: NormalSchema = { ...root, $defs: this.defsOut };
    this.paths.set(withDefs, "");
    return withDefs;
  }

  private node(input: unknown, path: string, depth: number): NormalSchema {
    if (++this.nodes > LIMITS.nodes) throw new GrammarError("schema_too_complex", `the schema has more than ${LIMITS.nodes} subschemas.`, path);
    if (depth > LIMITS.depth) throw new GrammarError("schema_too_complex", `the schema nests deeper than ${LIMITS.depth} levels.`, path);
    if (input === true) return this.track({}, path);
    if (input === false) throw new GrammarError("invalid_schema", "the schema 'false' admits no value here.", path);
    if (!isObject(input)) throw new GrammarError("invalid_schema", "a schema must be a JSON object or a boolean.", path);
    for (const key of Object.keys(input)) this.checkKeyword(key, path);
    const out = this.combinator(input, path, depth) ?? this.typed(input, path, depth);
    return this.track(out, path);
  }

  private track(node: NormalSchema, path: string): NormalSchema {
    if (!this.paths.has(node)) this.paths.set(node, path);
    return node;
  }

  private checkKeyword(key: string, path: string): void {
    if (ANNOTATIONS.has(key)) return;
    const at = childPath(path, key);
    if (ROOT_ONLY.has(key)) {
      if (path !== "") throw new GrammarError("unsupported_keyword", `'${key}' is supported only on the root schema.`, at);
      return;
    }
    const refused = REFUSED_KEYWORDS[key];
    if (refused) throw new GrammarError("unsupported_keyword", `${refused}.`, at);
    if (key === "allOf" || key === "anyOf" || key === "oneOf" || key === "$ref" || key === "enum" || key === "const" || key === "type") return;
    if ([...OBJECT_KEYWORDS, ...ARRAY_KEYWORDS, ...STRING_KEYWORDS, ...INTEGER_KEYWORDS].includes(key)) return;
    throw new GrammarError("unsupported_keyword", `'${key}' is not a keyword this server enforces.`, at);
  }

  /** $ref, allOf of one, anyOf/oneOf, enum and const: each stands alone beside annotations (and `type` for values). */
  private combinator(input: Record<string, unknown>, path: string, depth: number): NormalSchema | null {
    const present = ["$ref", "allOf", "anyOf", "oneOf", "enum", "const"].filter((k) => input[k] !== undefined);
    if (present.length === 0) return null;
    const main = present[0]!;
    const assertions = Object.keys(input).filter((k) => !ANNOTATIONS.has(k) && !ROOT_ONLY.has(k) && k !== main);
    const allowed = main === "enum" || main === "const" ? ["type"] : [];
    const extra = assertions.find((k) => !allowed.includes(k));
    if (extra) {
      throw new GrammarError("unsupported_keyword", `'${extra}' beside '${main}' is not enforced; put the constraints inside the ${main === "$ref" ? "referenced schema" : main === "enum" || main === "const" ? "listed values" : `'${main}' branches`}.`, childPath(path, extra));
    }
    const at = childPath(path, main);
    const value = input[main];
    switch (main) {
      case "$ref": return { $ref: this.ref(value, at) };
      case "allOf": {
        if (!Array.isArray(value) || value.length !== 1) {
          throw new GrammarError("unsupported_keyword", "'allOf' with more than one schema is not enforced by this server's grammar engine (one schema is accepted).", at);
        }
        return this.node(value[0], childPath(at, 0), depth + 1);
      }
      case "anyOf":
      case "oneOf": {
        if (!Array.isArray(value) || value.length === 0) throw new GrammarError("invalid_schema", `'${main}' must be a non-empty array of schemas.`, at);
        const branches = value.flatMap((b, i) => {
          const n = this.node(b, childPath(at, i), depth + 1);
          return Array.isArray(n.anyOf) && Object.keys(n).length === 1 ? (n.anyOf as NormalSchema[]) : [n];
        });
        if (branches.length === 1) return branches[0]!;
        const out: NormalSchema = { anyOf: branches };
        this.paths.set(out, at);
        if (main === "oneOf") this.oneOfs.add(out);
        return out;
      }
      default: {
        const values = main === "enum" ? value : [value];
        if (!Array.isArray(values) || values.length === 0) throw new GrammarError("invalid_schema", "'enum' must be a non-empty array.", at);
        if (values.length > LIMITS.enumValues) throw new GrammarError("schema_too_complex", `'enum' lists more than ${LIMITS.enumValues} values.`, at);
        values.forEach((v, i) => checkJsonValue(v, main === "enum" ? childPath(at, i) : at));
        const types = input.type === undefined ? null : this.types(input.type, childPath(path, "type"));
        const kept = types ? (values as JsonValue[]).filter((v) => types.some((t) => valueHasType(v, t))) : (values as JsonValue[]);
        if (kept.length === 0) throw new GrammarError("invalid_schema", `no value in '${main}' has the schema's 'type', so nothing is valid.`, at);
        return main === "const" ? { const: kept[0]! } : { enum: kept };
      }
    }
  }

  private ref(value: unknown, at: string): string {
    if (typeof value !== "string") throw new GrammarError("invalid_schema", "'$ref' must be a string.", at);
    if (value === "#") return "#";
    if (!/^#\/(\$defs|definitions)\/[^/]+$/.test(value)) {
      throw new GrammarError("unsupported_keyword", `'$ref' ${JSON.stringify(value.slice(0, 80))} is not supported; only '#', '#/$defs/<name>' and '#/definitions/<name>' are.`, at);
    }
    const key = decodeRef(value);
    if (!this.defsIn.has(key)) throw new GrammarError("invalid_schema", `'$ref' ${JSON.stringify(value.slice(0, 80))} names no definition in the root's $defs/definitions.`, at);
    let name = this.defNames.get(key);
    if (!name) {
      name = `d${this.defNames.size}`;
      this.defNames.set(key, name);
      this.pending.push({ ref: key, name });
    }
    return `#/$defs/${name}`;
  }

  private types(value: unknown, at: string): JsonType[] {
    const list = typeof value === "string" ? [value] : value;
    if (!Array.isArray(list) || list.length === 0) throw new GrammarError("invalid_schema", "'type' must be a type name or a non-empty array of them.", at);
    const out: JsonType[] = [];
    list.forEach((t, i) => {
      const p = Array.isArray(value) ? childPath(at, i) : at;
      if (typeof t !== "string" || !(JSON_TYPES as readonly string[]).includes(t)) {
        throw new GrammarError("invalid_schema", `type ${JSON.stringify(t)} is not one of ${JSON_TYPES.join(", ")}.`, p);
      }
      if (out.includes(t as JsonType)) throw new GrammarError("invalid_schema", `type '${t}' is listed twice.`, p);
      out.push(t as JsonType);
    });
    return out;
  }

  /** A schema without combinators: one branch per listed type, each with the keywords that apply to it. */
  private typed(input: Record<string, unknown>, path: string, depth: number): NormalSchema {
    let types: JsonType[];
    if (input.type !== undefined) types = this.types(input.type, childPath(path, "type"));
    else {
      const families = [
        OBJECT_KEYWORDS.some((k) => k in input) ? "object" : null,
        ARRAY_KEYWORDS.some((k) => k in input) ? "array" : null,
        STRING_KEYWORDS.some((k) => k in input) ? "string" : null,
      ].filter((x): x is JsonType => x !== null);
      const bound = INTEGER_KEYWORDS.find((k) => k in input);
      if (bound) throw new GrammarError("unsupported_keyword", `'${bound}' needs "type": "integer" (bounds on non-integer numbers are not enforced).`, childPath(path, bound));
      if (families.length > 1) throw new GrammarError("invalid_schema", `keywords for ${families.join(" and ")} without a 'type'; add "type".`, path);
      // Keywords of one kind without a type: that kind (a subset of what the schema allows, so outputs stay valid).
      if (families.length === 0) return {};
      types = families;
    }
    // "number" admits every integer, so with both listed the number branch decides.
    const branches = types.filter((t) => !(t === "integer" && types.includes("number"))).map((t) => this.track(this.forType(t, input, path, depth), path));
    return branches.length === 1 ? branches[0]! : { anyOf: branches };
  }

  private forType(type: JsonType, input: Record<string, unknown>, path: string, depth: number): NormalSchema {
    switch (type) {
      case "object": return this.object(input, path, depth);
      case "array": return this.array(input, path, depth);
      case "string": return stringSchema(input, path);
      case "integer": return integerSchema(input, path);
      case "number": {
        const bound = INTEGER_KEYWORDS.find((k) => k in input);
        if (bound) {
          throw new GrammarError("unsupported_keyword", `'${bound}' on "type": "number" is not enforced by this server's grammar engine; bounds are enforced on "type": "integer" only.`, childPath(path, bound));
        }
        return { type: "number" };
      }
      default: return { type };
    }
  }

  private object(input: Record<string, unknown>, path: string, depth: number): NormalSchema {
    const out: NormalSchema = { type: "object" };
    const names: string[] = [];
    if (input.properties !== undefined) {
      const at = childPath(path, "properties");
      if (!isObject(input.properties)) throw new GrammarError("invalid_schema", "'properties' must be an object of schemas.", at);
      const props: Record<string, NormalSchema> = {};
      for (const [name, sub] of Object.entries(input.properties)) {
        props[name] = this.node(sub, childPath(at, name), depth + 1);
        names.push(name);
      }
      out.properties = props;
    }
    if (input.required !== undefined) {
      const at = childPath(path, "required");
      const req = input.required;
      if (!Array.isArray(req) || req.some((r) => typeof r !== "string")) throw new GrammarError("invalid_schema", "'required' must be an array of property names.", at);
      req.forEach((r, i) => {
        if (req.indexOf(r) !== i) throw new GrammarError("invalid_schema", `'required' lists '${r}' twice.`, childPath(at, i));
        if (!names.includes(r as string)) throw new GrammarError("invalid_schema", `'required' names '${r}', which 'properties' does not define (it could not be enforced).`, childPath(at, i));
      });
      if (req.length > 0) out.required = req as string[];
    }
    if (input.additionalProperties !== undefined) {
      const ap = input.additionalProperties;
      const at = childPath(path, "additionalProperties");
      out.additionalProperties = typeof ap === "boolean" ? ap : this.node(ap, at, depth + 1);
    }
    return out;
  }

  private array(input: Record<string, unknown>, path: string, depth: number): NormalSchema {
    const out: NormalSchema = { type: "array" };
    let prefix = 0;
    if (input.prefixItems !== undefined) {
      const at = childPath(path, "prefixItems");
      if (!Array.isArray(input.prefixItems)) throw new GrammarError("invalid_schema", "'prefixItems' must be an array of schemas.", at);
      out.prefixItems = input.prefixItems.map((s, i) => this.node(s, childPath(at, i), depth + 1));
      prefix = input.prefixItems.length;
    }
    const items = input.items;
    const itemsAt = childPath(path, "items");
    if (Array.isArray(items)) throw new GrammarError("unsupported_keyword", "'items' as an array is the draft-4 tuple form; use 'prefixItems'.", itemsAt);
    // Absent items allow any further item, as JSON Schema says (the engine would otherwise allow none).
    out.items = items === false ? false : items === undefined || items === true ? {} : this.node(items, itemsAt, depth + 1);
    const min = count(input.minItems, childPath(path, "minItems"), LIMITS.items);
    const max = count(input.maxItems, childPath(path, "maxItems"), LIMITS.items);
    if (min !== null && max !== null && min > max) throw new GrammarError("invalid_schema", `minItems (${min}) is greater than maxItems (${max}).`, childPath(path, "minItems"));
    if (max !== null && max < prefix) throw new GrammarError("invalid_schema", `maxItems (${max}) is below the number of prefixItems (${prefix}).`, childPath(path, "maxItems"));
    if (items === false && min !== null && min > prefix) throw new GrammarError("invalid_schema", `minItems (${min}) needs more items than prefixItems allows with "items": false.`, childPath(path, "minItems"));
    if (min !== null && min > 0) out.minItems = min;
    if (max !== null) out.maxItems = max;
    return out;
  }
}

function checkJsonValue(v: unknown, at: string): void {
  if (v === null || typeof v === "boolean" || typeof v === "string") return;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new GrammarError("invalid_schema", "values must be finite numbers.", at);
    return;
  }
  if (Array.isArray(v)) return v.forEach((x, i) => checkJsonValue(x, childPath(at, i)));
  if (isObject(v)) return Object.entries(v).forEach(([k, x]) => checkJsonValue(x, childPath(at, k)));
  throw new GrammarError("invalid_schema", "values must be JSON.", at);
}

function valueHasType(v: JsonValue, t: JsonType): boolean {
  switch (t) {
    case "null": return v === null;
    case "boolean": return typeof v === "boolean";
    case "string": return typeof v === "string";
    case "number": return typeof v === "number";
    case "integer": return typeof v === "number" && Number.isInteger(v);
    case "array": return Array.isArray(v);
    case "object": return isObject(v);
  }
}

function escapePointer(name: string): string {
  return name.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** A `$ref` as written (percent-encoded, ~-escaped) → the key we stored its definition under. */
function decodeRef(ref: string): string {
  const [, kind, raw] = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref)!;
  let name = raw!;
  try {
    name = decodeURIComponent(name);
  } catch {
    // not percent-encoded after all
  }
  return `#/${kind}/${name}`;
}
