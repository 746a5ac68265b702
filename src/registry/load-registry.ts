import { readFileSync } from "node:fs";
import { dirname, extname, isAbsolute, resolve } from "node:path";
import { Value } from "@sinclair/typebox/value";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../config/load-settings.ts";
import type { Settings } from "../config/settings-spec.ts";
import { BUILTIN_MODELS } from "./builtin-models.ts";
import { modelDtype, RegistryEntrySchema, type ModelMetadata, type ModelSpec, type RegistryEntryInput } from "./registry-entry.ts";

/**
 * The registry is data: the built-in entries, then the file's entries (same name = override), narrowed to
 * MODEL_ALLOW_LIST when it is set. A malformed file, or an allow-listed id that no entry has, stops the server at
 * start with what is wrong named.
 */
export function loadRegistry(settings: Settings): ModelSpec[] {
  const byName = new Map<string, ModelSpec>();
  if (settings.includeDefaultModels) {
    for (const e of BUILTIN_MODELS) byName.set(e.name, toSpec(e, settings, null, true));
  }
  if (settings.registryPath) {
    const file = resolve(settings.registryPath);
    const seen = new Set<string>();
    readRegistryFile(file).forEach((entry, i) => {
      if (seen.has(entry.name)) throw new ConfigError(`${file}: entry ${i} (${entry.name}): name is listed twice`);
      seen.add(entry.name);
      byName.delete(entry.name); // an override moves to the file's order
      byName.set(entry.name, toSpec(entry, settings, dirname(file), false));
    });
  }
  return allowed([...byName.values()], settings.modelAllowList);
}

/** Only the allow-listed entries, in registry order; every allow-listed id must be an entry. */
function allowed(specs: ModelSpec[], allowList: readonly string[]): ModelSpec[] {
  if (allowList.length === 0) return specs;
  const ids = new Set(specs.map((s) => s.id));
  const unknown = allowList.filter((id) => !ids.has(id));
  if (unknown.length > 0) {
    throw new ConfigError(`invalid MODEL_ALLOW_LIST: not in the registry: ${unknown.join(", ")} (registry: ${[...ids].join(", ") || "empty"})`);
  }
  const keep = new Set(allowList);
  return specs.filter((s) => keep.has(s.id));
}

export function readRegistryFile(file: string): RegistryEntryInput[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`invalid MODEL_REGISTRY_PATH: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let doc: unknown;
  try {
    doc = extname(file).toLowerCase() === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    throw new ConfigError(`${file}: not valid ${extname(file).toLowerCase() === ".json" ? "JSON" : "YAML"}: ${reason}`);
  }
  // Accept a bare array (the original server's format) or {models: [...]}.
  const list = Array.isArray(doc) ? doc : doc && typeof doc === "object" && Array.isArray((doc as { models?: unknown }).models) ? (doc as { models: unknown[] }).models : null;
  if (!list) throw new ConfigError(`${file}: expected an array of model entries (or {models: [...]})`);
  return list.map((raw, i) => validateEntry(file, raw, i));
}

function validateEntry(file: string, raw: unknown, i: number): RegistryEntryInput {
  const label = raw && typeof raw === "object" && typeof (raw as { name?: unknown }).name === "string" ? `entry ${i} (${(raw as { name: string }).name})` : `entry ${i}`;
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new ConfigError(`${file}: ${label}: expected an object with name and hf_repo or path`);
  const first = Value.Errors(RegistryEntrySchema, raw).First();
  if (first) {
    const field = first.path.replace(/^\//, "").replace(/\//g, ".") || "(entry)";
    const value = (raw as Record<string, unknown>)[field];
    const why = first.message.includes("Unexpected property") || (value !== undefined && !(field in RegistryEntrySchema.properties))
      ? "unknown field"
      : allowedValues(first.schema) ?? first.message.toLowerCase();
    throw new ConfigError(`${file}: ${label}: field '${field}': ${why}${value !== undefined ? ` (got ${JSON.stringify(value)})` : ""}`);
  }
  const entry = raw as RegistryEntryInput;
  if (!entry.hf_repo === !entry.path) throw new ConfigError(`${file}: ${label}: give exactly one of 'hf_repo' or 'path'`);
  if (entry.hf_repo && !/^[\w.-]+(\/[\w.-]+)?(:[\w.-]+)?$/.test(entry.hf_repo)) {
    throw new ConfigError(`${file}: ${label}: field 'hf_repo': '${entry.hf_repo}' is not a repo id like owner/name (or owner/name:Q4_K_M for a GGUF repo)`);
  }
  if (entry.file !== undefined) {
    if (!entry.hf_repo) throw new ConfigError(`${file}: ${label}: field 'file': only with 'hf_repo' (a local GGUF file is given as 'path')`);
    if (entry.hf_repo.includes(":")) throw new ConfigError(`${file}: ${label}: field 'file': give either 'file' or a quantization in 'hf_repo' (${entry.hf_repo}), not both`);
    if (!isRepoGgufPath(entry.file)) throw new ConfigError(`${file}: ${label}: field 'file': '${entry.file}' is not the path of a .gguf file inside the repo`);
  }
  if (entry.description !== undefined && entry.metadata?.description !== undefined) {
    throw new ConfigError(`${file}: ${label}: field 'description': give the description once, as 'description' or as 'metadata.description'`);
  }
  if (entry.task !== "embeddings" && (entry.pooling !== undefined || entry.normalize !== undefined)) {
    throw new ConfigError(`${file}: ${label}: field '${entry.pooling !== undefined ? "pooling" : "normalize"}': only for task: embeddings`);
  }
  return entry;
}

/** A relative path inside a repo, ending in .gguf: no `..`, no absolute or backslash paths. */
function isRepoGgufPath(path: string): boolean {
  return /\.gguf$/i.test(path) && !path.startsWith("/") && !/[\\\0]/.test(path) && !path.split("/").some((p) => p === "" || p === "." || p === "..");
}

/** "expected one of fp32, fp16, …" for a union of literals, which TypeBox reports only as "union value". */
function allowedValues(schema: unknown): string | null {
  const anyOf = (schema as { anyOf?: { const?: unknown }[] }).anyOf;
  if (!anyOf || !anyOf.every((s) => s.const !== undefined)) return null;
  return `expected one of ${anyOf.map((s) => String(s.const)).join(", ")}`;
}

function toSpec(e: RegistryEntryInput, settings: Settings, baseDir: string | null, builtin: boolean): ModelSpec {
  const source: ModelSpec["source"] = e.path
    ? { kind: "local", path: isAbsolute(e.path) || !baseDir ? resolve(e.path) : resolve(baseDir, e.path) }
    : hubSource(e.hf_repo!, e.revision ?? "main", e.file);
  return {
    id: e.name,
    source,
    dtype: modelDtype(e.dtype),
    dtypeGiven: e.dtype !== undefined,
    device: e.device ?? settings.defaultDevice,
    maxContextTokens: e.max_context_tokens ?? null,
    task: e.task ?? "text-generation",
    chatTemplate: e.chat_template ?? null,
    tiktokenEncoding: e.tiktoken_encoding ?? null,
    modelType: e.model_type ?? null,
    pooling: e.pooling ?? "mean",
    normalize: e.normalize ?? true,
    ownedBy: e.owned_by ?? (e.hf_repo ? e.hf_repo.split("/")[0]!.split(":")[0]! : "local"),
    builtin,
    metadata: metadataOf(e),
  };
}

/** `owner/name:Q4_K_M` → the repo and a quantization to pick; `file` → that GGUF file. */
function hubSource(hfRepo: string, revision: string, file: string | undefined): ModelSpec["source"] {
  const [repo, quant] = hfRepo.split(":") as [string, string | undefined];
  if (file !== undefined) return { kind: "hub", repo, revision, gguf: { file } };
  if (quant !== undefined) return { kind: "hub", repo, revision, gguf: { quant } };
  return { kind: "hub", repo, revision };
}

/** `description` is shorthand for `metadata.description`; an entry with neither has no metadata. */
function metadataOf(e: RegistryEntryInput): ModelMetadata | null {
  const m: ModelMetadata = { ...(e.description !== undefined ? { description: e.description } : {}), ...e.metadata };
  return Object.keys(m).length > 0 ? m : null;
}
