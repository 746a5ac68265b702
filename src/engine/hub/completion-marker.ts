import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ModelDtype } from "../../registry/registry-entry.ts";
import { completionMarkerPath } from "./cache-layout.ts";
import { writeFileAtomic } from "./write-file-atomic.ts";

export interface MarkerFile {
  path: string;
  /** null: the hub does not have this optional file. */
  size: number | null;
}

export interface CompletionMarker {
  repo: string;
  revision: string;
  dtype: ModelDtype;
  /** The commit the hub resolved the revision to (X-Repo-Commit), when it said. */
  commit: string | null;
  endpoint: string;
  downloadedAt: string;
  files: MarkerFile[];
}

/**
 * True when the marker exists and every file it lists is present with its recorded size. A marker whose files were
 * deleted or truncated since is removed, so the folder is downloaded again rather than half-trusted.
 */
export function isCompleteDownload(dir: string, dtype: ModelDtype): boolean {
  const file = completionMarkerPath(dir, dtype);
  if (!existsSync(file)) return false;
  let marker: CompletionMarker;
  try {
    marker = JSON.parse(readFileSync(file, "utf8")) as CompletionMarker;
  } catch {
    rmSync(file, { force: true });
    return false;
  }
  const intact = Array.isArray(marker.files) && marker.files.every((f) => f.size === null || sizeOf(join(dir, f.path)) === f.size);
  if (!intact) rmSync(file, { force: true });
  return intact;
}

export async function writeCompletionMarker(dir: string, marker: CompletionMarker): Promise<void> {
  await writeFileAtomic(completionMarkerPath(dir, marker.dtype), `${JSON.stringify(marker, null, 2)}\n`);
}

function sizeOf(file: string): number | null {
  try {
    return statSync(file).size;
  } catch {
    return null;
  }
}
