import type { HubModelRequest, HubSource } from "./hub-types.ts";
import { CHECKPOINT_MARKER_KEY, ggufMarkerKey, hubModelDir } from "./cache-layout.ts";
import { readCompletionMarker } from "./completion-marker.ts";

/**
 * The cached hub model a request is served from, when it is completely downloaded, else null: the ONNX export for
 * its dtype, else the repo's checkpoint (decoders only). Touches no network.
 */
export function cachedHubSource(req: Pick<HubModelRequest, "repo" | "revision" | "dtype"> & Partial<Pick<HubModelRequest, "task" | "gguf">>, cacheDir: string): HubSource | null {
  const dir = hubModelDir(cacheDir, req.repo, req.revision);
  if (req.gguf) {
    const gguf = readCompletionMarker(dir, ggufMarkerKey(req.gguf));
    return gguf ? { dir, kind: "gguf", files: gguf.files } : null;
  }
  const exported = readCompletionMarker(dir, req.dtype);
  if (exported) return { dir, kind: "onnx", files: exported.files };
  if (req.task === "embeddings") return null;
  const checkpoint = readCompletionMarker(dir, CHECKPOINT_MARKER_KEY);
  return checkpoint ? { dir, kind: "checkpoint", files: checkpoint.files } : null;
}

/** The cached folder of a hub model when it is completely downloaded, else null. Touches no network. */
export function cachedHubModelDir(req: Pick<HubModelRequest, "repo" | "revision" | "dtype"> & Partial<Pick<HubModelRequest, "task" | "gguf">>, cacheDir: string): string | null {
  return cachedHubSource(req, cacheDir)?.dir ?? null;
}
