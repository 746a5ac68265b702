import { join } from "node:path";
import { commandFor } from "../../platform/invocation.ts";
import { cacheUnwritable, modelNotCached } from "./hub-errors.ts";
import { hubModelDir } from "./cache-layout.ts";
import { isCompleteDownload, writeCompletionMarker, type MarkerFile } from "./completion-marker.ts";
import { downloadFile } from "./download-file.ts";
import { formatBytes } from "./format-bytes.ts";
import type { DownloadProgress, HubFetchOptions, HubModelRequest, HubSettings } from "./hub-types.ts";
import { isDiskError } from "./network-error.ts";
import { repoFileList } from "./repo-file-list.ts";
import { SharedRuns } from "./shared-runs.ts";

const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
const downloads = new SharedRuns<string, DownloadProgress>();

const stderrLine = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/**
 * Makes a hub repo's files (config, tokenizer, the dtype's ONNX graph and external data) available in the local
 * cache and returns the folder. A completely cached folder is served without touching the network; otherwise the
 * files are downloaded once however many callers ask at the same time. Offline, only the cache is served.
 * Failures are HubErrors (codes in hub-errors.ts).
 */
export async function fetchHubModel(
  req: HubModelRequest,
  hub: HubSettings,
  onProgress?: (p: DownloadProgress) => void,
  options: HubFetchOptions = {},
): Promise<string> {
  const dir = hubModelDir(hub.cacheDir, req.repo, req.revision);
  if (isCompleteDownload(dir, req.dtype)) return dir;
  if (hub.offline) throw modelNotCached(req.repo, req.revision, hub.cacheDir, hub.pullCommand ?? commandFor("pull"));
  const key = [hub.cacheDir, req.repo, req.revision, req.dtype].join("\0");
  return downloads.run(key, onProgress, (emit) => downloadModel(req, hub, dir, emit, options));
}

async function downloadModel(
  req: HubModelRequest,
  hub: HubSettings,
  dir: string,
  onProgress: (p: DownloadProgress) => void,
  options: HubFetchOptions,
): Promise<string> {
  // Another process may have finished it while this one waited.
  if (isCompleteDownload(dir, req.dtype)) return dir;
  const log = options.log ?? stderrLine;
  const label = `${req.repo}@${req.revision}`;
  const started = performance.now();
  log(`hub: downloading ${label} (${req.dtype}) from ${hub.endpoint} into ${dir}`);
  const ctx = {
    endpoint: hub.endpoint,
    token: hub.token,
    repo: req.repo,
    revision: req.revision,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    onProgress,
    log,
  };
  const files: MarkerFile[] = [];
  let commit: string | null = null;
  let bytes = 0;
  for (const file of repoFileList(req)) {
    const result = await downloadFile(ctx, file, join(dir, file.path));
    if (result.kind === "absent") {
      files.push({ path: file.path, size: null });
      continue;
    }
    files.push({ path: file.path, size: result.size });
    commit ??= result.commit;
    bytes += result.size;
  }
  try {
    await writeCompletionMarker(dir, {
      repo: req.repo,
      revision: req.revision,
      dtype: req.dtype,
      commit,
      endpoint: hub.endpoint,
      downloadedAt: new Date().toISOString(),
      files,
    });
  } catch (err) {
    if (isDiskError(err)) throw cacheUnwritable(dir, err instanceof Error ? err.message : String(err));
    throw err;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  log(`hub: ${label} ready: ${files.filter((f) => f.size !== null).length} files, ${formatBytes(bytes)} in ${seconds} s`);
  return dir;
}
