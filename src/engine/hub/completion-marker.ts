import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ModelDtype } from "../../registry/registry-entry.ts";
import { completionMarkerPath, type MarkerKey } from "./cache-layout.ts";
import { writeFileAtomic } from "./write-file-atomic.ts";

export interface MarkerFile {
  path: string;
  /** null: the hub does not have this optional file. */
  size: number | null;
  /** Of the bytes downloaded (markers written before hashes were recorded have none). */
  sha256?: string;
}

/** What the folder holds for the marker's key: an ONNX export, a checkpoint to build, or GGUF file(s). */
export type DownloadKind = "onnx" | "checkpoint" | "gguf";

export interface CompletionMarker {
  repo: string;
  revision: string;
  /** Absent in markers from before checkpoints were served: those are ONNX exports. */
  kind?: DownloadKind;
  /** The dtype asked for when it was downloaded (for an ONNX export, the dtype whose graph it holds). */
  dtype: ModelDtype;
  /** The commit the hub resolved the revision to (X-Repo-Commit), when it said. */
  commit: string | null;
  endpoint: string;
  downloadedAt: string;
  files: MarkerFile[];
}

/**
 * The marker when it exists and every file it lists is present with its recorded size, else null. A marker whose
 * files were deleted or truncated since is removed, so the folder is downloaded again rather than half-trusted.
 */
export function readCompletionMarker(dir: string, key: MarkerKey): CompletionMarker | null {
  const file = completionMarkerPath(dir, key);
  if (!existsSync(file)) return null;
  let marker: CompletionMarker;
  try {
    marker = JSON.parse(readFileSync(file, "utf8")) as CompletionMarker;
  } catch {
    rmSync(file, { force: true });
    return null;
  }
  const intact = Array.isArray(marker.files) && marker.files.every((f) => f.size === null || sizeOf(join(dir, f.path)) === f.size);
  if (!intact) rmSync(file, { force: true });
  return intact ? marker : null;
}

export function isCompleteDownload(dir: string, key: MarkerKey): boolean {
  return readCompletionMarker(dir, key) !== null;
}

export async function writeCompletionMarker(dir: string, key: MarkerKey, marker: CompletionMarker): Promise<void> {
  await writeFileAtomic(completionMarkerPath(dir, key), `${JSON.stringify(marker, null, 2)}\n`);
}

function sizeOf(file: string): number | null {
  try {
    return statSync(file).size;
  } catch {
    return null;
  }
}
