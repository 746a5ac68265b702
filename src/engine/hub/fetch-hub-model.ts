import { commandFor } from "../../platform/invocation.ts";
import { cacheUnwritable, modelNotCached } from "./hub-errors.ts";
import { CHECKPOINT_MARKER_KEY, ggufMarkerKey, hubModelDir } from "./cache-layout.ts";
import { writeCompletionMarker } from "./completion-marker.ts";
import { downloadGguf } from "./download-gguf.ts";
import { downloadRepo } from "./download-repo.ts";
import { formatBytes } from "./format-bytes.ts";
import { cachedHubSource } from "./hub-cache-status.ts";
import type { DownloadProgress, HubFetchOptions, HubModelRequest, HubSettings, HubSource } from "./hub-types.ts";

export type { HubSource };
import { isDiskError } from "./network-error.ts";
import { SharedRuns } from "./shared-runs.ts";

const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
const downloads = new SharedRuns<HubSource, DownloadProgress>();

const stderrLine = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/**
 * Makes a hub repo's model available in the local cache and returns its folder: config and tokenizer plus an ONNX
 * export for the dtype, or else a checkpoint's weights (download-repo.ts says how it is told apart). A completely
 * cached folder is served without touching the network; otherwise the files are downloaded once however many
 * callers ask at the same time. Offline, only the cache is served. Failures are HubErrors (codes in hub-errors.ts).
 */
export async function fetchHubModel(
  req: HubModelRequest,
  hub: HubSettings,
  onProgress?: (p: DownloadProgress) => void,
  options: HubFetchOptions = {},
): Promise<string> {
  return (await fetchHubSource(req, hub, onProgress, options)).dir;
}

export async function fetchHubSource(
  req: HubModelRequest,
  hub: HubSettings,
  onProgress?: (p: DownloadProgress) => void,
  options: HubFetchOptions = {},
): Promise<HubSource> {
  const cached = cachedHubSource(req, hub.cacheDir);
  if (cached) return cached;
  if (hub.offline) throw modelNotCached(req.repo, req.revision, hub.cacheDir, hub.pullCommand ?? commandFor("pull"));
  const key = [hub.cacheDir, req.repo, req.revision, req.gguf ? ggufMarkerKey(req.gguf) : req.dtype].join("\0");
  return downloads.run(key, onProgress, (emit) => downloadModel(req, hub, emit, options));
}

async function downloadModel(
  req: HubModelRequest,
  hub: HubSettings,
  onProgress: (p: DownloadProgress) => void,
  options: HubFetchOptions,
): Promise<HubSource> {
  // Another process may have finished it while this one waited.
  const cached = cachedHubSource(req, hub.cacheDir);
  if (cached) return cached;
  const dir = hubModelDir(hub.cacheDir, req.repo, req.revision);
  const log = options.log ?? stderrLine;
  const label = `${req.repo}@${req.revision}`;
  const started = performance.now();
  const which = req.gguf ? ("file" in req.gguf ? req.gguf.file : `GGUF ${req.gguf.quant}`) : req.dtype;
  log(`hub: downloading ${label} (${which}) from ${hub.endpoint} into ${dir}`);
  const ctx = {
    endpoint: hub.endpoint,
    token: hub.token,
    repo: req.repo,
    revision: req.revision,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    onProgress,
    log,
  };
  const got = req.gguf ? await downloadGguf(ctx, req.gguf, dir) : await downloadRepo(ctx, req, dir);
  const markerKey = req.gguf ? ggufMarkerKey(req.gguf) : got.kind === "onnx" ? req.dtype : CHECKPOINT_MARKER_KEY;
  try {
    await writeCompletionMarker(dir, markerKey, {
      repo: req.repo,
      revision: req.revision,
      kind: got.kind,
      dtype: req.dtype,
      commit: got.commit,
      endpoint: hub.endpoint,
      downloadedAt: new Date().toISOString(),
      files: got.files,
    });
  } catch (err) {
    if (isDiskError(err)) throw cacheUnwritable(dir, err instanceof Error ? err.message : String(err));
    throw err;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const what = got.kind === "onnx" ? "" : ` (${got.kind === "gguf" ? "GGUF" : "a checkpoint"}, built on load)`;
  log(`hub: ${label} ready: ${got.files.filter((f) => f.size !== null).length} files, ${formatBytes(got.bytes)} in ${seconds} s${what}`);
  return { dir, kind: got.kind, files: got.files };
}
