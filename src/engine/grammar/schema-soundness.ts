import { GrammarError } from "./grammar-error.ts";
import { isBounded, isObject, resolveRef, type JsonValue, type NormalSchema } from "./normal-schema.ts";

export type ValueKind = "object" | "array" | "string" | "number" | "boolean" | "null";
const KINDS: ValueKind[] = ["object", "array", "string", "number", "boolean", "null"];

interface Context {
  pathOf: (node: NormalSchema) => string;
  isOneOf: (node: NormalSchema) => boolean;
}

/**
 * Checks on the normal form that keywords alone cannot show:
 * - every reachable subschema admits a finite value (recursion needs a way out, or the engine would let a model
 *   recurse forever or the matcher would dead-end);
 * - `oneOf` branches are provably disjoint, so enforcing them as `anyOf` means the same;
 * - a length-bounded string is never behind two `anyOf` branches that accept the same kind of value, because our
 *   length overlay follows the branch a value's first character picks.
 */
export function checkSoundness(root: NormalSchema, ctx: Context): void {
  const nodes = reachable(root);
  const productive = fixpoint(root, (node, get) => isProductive(node, get));
  // Blame a definition (where the recursion is written) before the places that use it.
  const defs = Object.values((root.$defs ?? {}) as Record<string, NormalSchema>);
  const unproductive = [...defs, ...nodes].find((node) => !isProductive(node, productive));
  if (unproductive) {
    throw new GrammarError("invalid_schema", "this schema admits no finite value (it requires itself without an end to the recursion).", ctx.pathOf(unproductive));
  }
  const bounded = fixpoint(root, (node, get) => containsBounded(node, get));
  for (const node of nodes) {
    if (!Array.isArray(node.anyOf)) continue;
    const branches = node.anyOf as NormalSchema[];
    if (ctx.isOneOf(node)) checkDisjoint(root, branches, ctx.pathOf(node));
    for (const kind of ["string", "number", "object", "array"] as const) {
      const sharing = branches.filter((b) => kindsOf(root, b).has(kind));
      if (sharing.length >= 2 && sharing.some((b) => boundedVia(root, b, kind, bounded))) {
        throw new GrammarError(
          "unsupported_keyword",
          `string lengths and integer bounds inside anyOf/oneOf branches that both accept a${kind === "array" || kind === "object" ? "n" : ""} ${kind} cannot be enforced; make the branches differ in type.`,
          ctx.pathOf(node),
        );
      }
    }
  }
}

type Lookup = (ref: string) => boolean;

/** Least fixpoint of a per-definition property over `$ref`s (recursion starts from false). */
function fixpoint(root: NormalSchema, compute: (node: NormalSchema, get: Lookup) => boolean): Lookup {
  const defs = (root.$defs ?? {}) as Record<string, NormalSchema>;
  const value = new Map<string, boolean>([["#", false], ...Object.keys(defs).map((n) => [`#/$defs/${n}`, false] as [string, boolean])]);
  const get: Lookup = (ref) => value.get(ref) ?? false;
  for (let changed = true; changed; ) {
    changed = false;
    for (const ref of value.keys()) {
      const now = compute(resolveRef(root, ref), get);
      if (now !== value.get(ref)) {
        value.set(ref, now);
        changed = true;
      }
    }
  }
  return get;
}

function isProductive(node: NormalSchema, get: Lookup): boolean {
  if (typeof node.$ref === "string") return get(node.$ref);
  if (Array.isArray(node.anyOf)) return (node.anyOf as NormalSchema[]).some((b) => isProductive(b, get));
  if (node.type === "object") {
    const props = (node.properties ?? {}) as Record<string, NormalSchema>;
    return ((node.required ?? []) as string[]).every((r) => isProductive(props[r]!, get));
  }
  if (node.type === "array") {
    const min = (node.minItems as number | undefined) ?? 0;
    const prefix = (node.prefixItems ?? []) as NormalSchema[];
    for (let i = 0; i < Math.min(min, prefix.length); i++) if (!isProductive(prefix[i]!, get)) return false;
    return min <= prefix.length || (isObject(node.items) && isProductive(node.items as NormalSchema, get));
  }
  return true;
}

function containsBounded(node: NormalSchema, get: Lookup): boolean {
  if (typeof node.$ref === "string") return get(node.$ref);
  if (isBounded(node)) return true;
  return children(node).some((c) => containsBounded(c, get));
}

function children(node: NormalSchema): NormalSchema[] {
  const out: NormalSchema[] = [];
  if (Array.isArray(node.anyOf)) out.push(...(node.anyOf as NormalSchema[]));
  if (isObject(node.properties)) out.push(...(Object.values(node.properties) as NormalSchema[]));
  if (isObject(node.additionalProperties)) out.push(node.additionalProperties as NormalSchema);
  if (Array.isArray(node.prefixItems)) out.push(...(node.prefixItems as NormalSchema[]));
  if (isObject(node.items)) out.push(node.items as NormalSchema);
  return out;
}

function reachable(root: NormalSchema): NormalSchema[] {
  const seen = new Set<NormalSchema>();
  const refs = new Set<string>();
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    stack.push(...children(node));
    if (typeof node.$ref === "string" && !refs.has(node.$ref)) {
      refs.add(node.$ref);
      stack.push(resolveRef(root, node.$ref));
    }
  }
  return [...seen];
}

/** The kinds of JSON value a schema may start, read from its first character. */
export function kindsOf(root: NormalSchema, node: NormalSchema, seen = new Set<string>()): Set<ValueKind> {
  if (typeof node.$ref === "string") {
    if (seen.has(node.$ref)) return new Set();
    seen.add(node.$ref);
    return kindsOf(root, resolveRef(root, node.$ref), seen);
  }
  if (Array.isArray(node.anyOf)) return new Set((node.anyOf as NormalSchema[]).flatMap((b) => [...kindsOf(root, b, seen)]));
  if (Array.isArray(node.enum)) return new Set((node.enum as JsonValue[]).map(kindOfValue));
  if ("const" in node) return new Set([kindOfValue(node.const!)]);
  if (typeof node.type === "string") return new Set([node.type === "integer" ? "number" : (node.type as ValueKind)]);
  return new Set(KINDS);
}

export function kindOfValue(v: JsonValue): ValueKind {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "object") return "object";
  return typeof v as "string" | "number" | "boolean";
}

function boundedVia(root: NormalSchema, node: NormalSchema, kind: ValueKind, bounded: Lookup, seen = new Set<string>()): boolean {
  if (typeof node.$ref === "string") {
    if (seen.has(node.$ref)) return false;
    seen.add(node.$ref);
    return boundedVia(root, resolveRef(root, node.$ref), kind, bounded, seen);
  }
  if (Array.isArray(node.anyOf)) return (node.anyOf as NormalSchema[]).some((b) => boundedVia(root, b, kind, bounded, seen));
  return (node.type === kind || (kind === "number" && node.type === "integer")) && containsBounded(node, bounded);
}

function checkDisjoint(root: NormalSchema, branches: NormalSchema[], path: string): void {
  for (let i = 0; i < branches.length; i++) {
    for (let j = i + 1; j < branches.length; j++) {
      if (!disjoint(root, branches[i]!, branches[j]!)) {
        throw new GrammarError(
          "unsupported_keyword",
          `oneOf branches ${i} and ${j} may both match the same value, which 'exactly one' forbids and this server cannot enforce; use anyOf, or make the branches differ in type, in their enum/const values, or in a required property's const.`,
          path,
        );
      }
    }
  }
}

function disjoint(root: NormalSchema, a: NormalSchema, b: NormalSchema): boolean {
  const ka = kindsOf(root, a);
  const kb = kindsOf(root, b);
  if (![...ka].some((k) => kb.has(k))) return true;
  const va = literals(root, a);
  const vb = literals(root, b);
  if (va && vb) return !va.some((v) => vb.includes(v));
  // Tagged objects (pydantic's discriminated unions): a required property whose allowed literals do not overlap.
  const oa = deref(root, a);
  const ob = deref(root, b);
  if (oa.type === "object" && ob.type === "object") {
    const pa = (oa.properties ?? {}) as Record<string, NormalSchema>;
    const pb = (ob.properties ?? {}) as Record<string, NormalSchema>;
    const ra = (oa.required ?? []) as string[];
    const rb = (ob.required ?? []) as string[];
    return ra.some((name) => {
      if (!rb.includes(name)) return false;
      const la = literals(root, pa[name]!);
      const lb = literals(root, pb[name]!);
      return la !== null && lb !== null && !la.some((v) => lb.includes(v));
    });
  }
  return false;
}

function deref(root: NormalSchema, node: NormalSchema): NormalSchema {
  let n = node;
  for (let hops = 0; typeof n.$ref === "string" && hops < 64; hops++) n = resolveRef(root, n.$ref);
  return n;
}

/** The allowed values as canonical JSON texts when the schema is an enum or const, else null. */
function literals(root: NormalSchema, node: NormalSchema): string[] | null {
  const n = deref(root, node);
  if (Array.isArray(n.enum)) return (n.enum as JsonValue[]).map((v) => JSON.stringify(v));
  if ("const" in n) return [JSON.stringify(n.const)];
  return null;
}
