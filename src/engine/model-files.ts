import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { ModelUnavailable } from "./engine-errors.ts";
import type { ModelSpec } from "../registry/registry-entry.ts";
import { fetchHubModel } from "./hub/fetch-hub-model.ts";
import type { DownloadProgress, HubSettings } from "./hub/hub-types.ts";
import { onnxFileName } from "./hub/onnx-file-name.ts";

// The dtype → file map lives with the downloader, which fetches the same files this resolves.
export { onnxFileName };

export interface ModelFiles {
  dir: string;
  onnxFile: string;
}

/** The local folder of a model: the entry's own `path`, or the cached copy of its hub repo. */
export async function resolveModelFiles(spec: ModelSpec, hub: HubSettings, onProgress?: (p: DownloadProgress) => void): Promise<ModelFiles> {
  const dir = spec.source.kind === "local"
    ? spec.source.path
    : await fetchHubModel({ repo: spec.source.repo, revision: spec.source.revision, dtype: spec.dtype, task: spec.task }, hub, onProgress);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw unavailable(spec, `its folder ${dir} does not exist`);
  }
  const name = onnxFileName(spec.dtype);
  const candidates = [join(dir, name), join(dir, name.replace(/^onnx\//, ""))];
  const onnxFile = candidates.find((f) => existsSync(f));
  if (!onnxFile) throw unavailable(spec, `no ${name} for dtype ${spec.dtype} in ${dir}`);
  return { dir, onnxFile };
}

export function unavailable(spec: ModelSpec, why: string): ModelUnavailable {
  return new ModelUnavailable(spec.id, "model_unavailable", `Model '${spec.id}' could not be loaded: ${why}. It will be retried on the next request.`);
}
