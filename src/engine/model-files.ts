import { existsSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { MODEL_FILE, type BuildProgress } from "../convert/build-decoder.ts";
import { CONFIG_FILE } from "../convert/architectures/config-fields.ts";
import { ggufShardPaths } from "../convert/gguf/gguf-split.ts";
import { WEIGHT_FILE_NAMES } from "../convert/readers/open-tensor-source.ts";
import type { ModelSpec } from "../registry/registry-entry.ts";
import { checkpointBuildJob } from "./build/checkpoint-build.ts";
import { ensureBuilt, type BuildJob } from "./build/ensure-built.ts";
import { ggufBuildJob } from "./build/gguf-build.ts";
import { ModelUnavailable } from "./engine-errors.ts";
import { ggufMarkerKey } from "./hub/cache-layout.ts";
import type { MarkerFile } from "./hub/completion-marker.ts";
import { fetchHubSource } from "./hub/fetch-hub-model.ts";
import type { DownloadProgress, HubSettings } from "./hub/hub-types.ts";
import { onnxFileName } from "./hub/onnx-file-name.ts";
import type { ModelAbout } from "./model-about.ts";

// The dtype → file map lives with the downloader, which fetches the same files this resolves.
export { onnxFileName };

/** What a registry entry is on disk, ready to load. */
export interface ModelFiles {
  /** The folder holding config.json and the tokenizer files. */
  dir: string;
  /** The graph to run. */
  onnxFile: string;
  /** export: an ONNX export, run as published; built: a graph this server built from a checkpoint's or GGUF file's weights. */
  origin: "export" | "built";
  about: ModelAbout;
}

export interface ResolveListeners {
  onDownload?: (p: DownloadProgress) => void;
  /** Called once as a build starts (all zeros) and then as it goes. */
  onBuild?: (p: BuildProgress) => void;
  /** Download and build lines (default: stderr). */
  log?: (line: string) => void;
}

/** Where an entry's files are and what they are, before anything is built. */
interface LocatedModel {
  kind: "onnx" | "checkpoint" | "gguf";
  dir: string;
  /** A download's marker files (sizes and hashes); null for a local folder. */
  recorded: readonly MarkerFile[] | null;
  /** GGUF: the shards relative to `dir`, in order. */
  ggufFiles?: string[];
}

/**
 * The entry's model, downloaded if it is a hub repo, and built into the model cache (once; see build/) if it is a
 * checkpoint rather than an ONNX export: the entry's `path`, or the cached copy of its hub repo.
 */
export async function resolveModelFiles(spec: ModelSpec, hub: HubSettings, listeners: ResolveListeners = {}): Promise<ModelFiles> {
  const located = await locateModel(spec, hub, listeners);
  if (located.kind === "onnx") return exportFiles(spec, located.dir);
  if (spec.task === "embeddings") {
    throw unavailable(spec, `embeddings models are served from ONNX exports, and ${located.dir} holds a ${located.kind === "gguf" ? "GGUF model" : "checkpoint"} (no ${onnxFileName(spec.dtype)})`);
  }
  const job: BuildJob = located.kind === "gguf"
    ? await ggufBuildJob(spec, located.dir, located.ggufFiles!, located.recorded, hub.cacheDir, spec.source.kind === "hub" && spec.source.gguf ? ggufMarkerKey(spec.source.gguf) : null)
    : await checkpointBuildJob(spec, located.dir, located.recorded, hub.cacheDir);
  const record = await ensureBuilt(job, { onProgress: listeners.onBuild, log: listeners.log });
  // A GGUF build is a whole model folder (its tokenizer comes from the metadata); a checkpoint's tokenizer stays in its folder.
  return { dir: located.kind === "gguf" ? job.dir : located.dir, onnxFile: join(job.dir, MODEL_FILE), origin: "built", about: record.about };
}

async function locateModel(spec: ModelSpec, hub: HubSettings, listeners: ResolveListeners): Promise<LocatedModel> {
  if (spec.source.kind === "hub") {
    const { repo, revision, gguf } = spec.source;
    const got = await fetchHubSource({ repo, revision, dtype: spec.dtype, task: spec.task, gguf }, hub, listeners.onDownload, { log: listeners.log });
    if (got.kind === "gguf") return { kind: "gguf", dir: got.dir, recorded: got.files, ggufFiles: got.files.map((f) => f.path) };
    return { kind: got.kind, dir: got.dir, recorded: got.files };
  }
  const dir = spec.source.path;
  if (/\.gguf$/i.test(dir) && existsSync(dir) && statSync(dir).isFile()) {
    // Any shard of a split model names all of it; a missing shard is the converter's error, naming it.
    return { kind: "gguf", dir: dirname(dir), recorded: null, ggufFiles: ggufShardPaths(dir).map((p) => basename(p)) };
  }
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw unavailable(spec, `${/\.gguf$/i.test(dir) ? "its GGUF file" : "its folder"} ${dir} does not exist`);
  if (findOnnxFile(dir, spec.dtype)) return { kind: "onnx", dir, recorded: null };
  if (existsSync(join(dir, CONFIG_FILE)) && WEIGHT_FILE_NAMES.some((f) => existsSync(join(dir, f)))) return { kind: "checkpoint", dir, recorded: null };
  throw unavailable(spec, `no ${onnxFileName(spec.dtype)} for dtype ${spec.dtype} and no checkpoint (${CONFIG_FILE} with ${WEIGHT_FILE_NAMES.join(", ")}) in ${dir}`);
}

function exportFiles(spec: ModelSpec, dir: string): ModelFiles {
  const onnxFile = findOnnxFile(dir, spec.dtype);
  if (!onnxFile) throw unavailable(spec, `no ${onnxFileName(spec.dtype)} for dtype ${spec.dtype} in ${dir}`);
  return { dir, onnxFile, origin: "export", about: { format: "onnx", architecture: null, parameters: null, build: null, gguf: null } };
}

/** The dtype's graph in the Optimum layout (onnx/model….onnx), or at the folder's top as some exports have it. */
function findOnnxFile(dir: string, dtype: ModelSpec["dtype"]): string | null {
  const name = onnxFileName(dtype);
  return [join(dir, name), join(dir, name.replace(/^onnx\//, ""))].find((f) => existsSync(f)) ?? null;
}

export function unavailable(spec: ModelSpec, why: string): ModelUnavailable {
  return new ModelUnavailable(spec.id, "model_unavailable", `Model '${spec.id}' could not be loaded: ${why}. It will be retried on the next request.`);
}
