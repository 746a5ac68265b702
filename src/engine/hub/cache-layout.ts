import { join } from "node:path";
import type { GgufSelection } from "../../registry/registry-entry.ts";

/**
 * `{cacheDir}/{owner}--{name}/{revision}/`: one folder per repo revision, mirroring the repo's own layout, so the
 * folder loads exactly like a local `path` entry. The revision is escaped into one safe folder name.
 */
export function hubModelDir(cacheDir: string, repo: string, revision: string): string {
  return join(cacheDir, repo.split("/").join("--"), encodeURIComponent(revision));
}

/**
 * What a completion marker vouches for: an ONNX export's files for one dtype (the key is the dtype, because dtypes
 * share config and tokenizer files but not the graph), a checkpoint's files (`checkpoint`: config, tokenizer and
 * weights, whatever dtype it is built at), or one GGUF model of the repo (`gguf-…`).
 */
export type MarkerKey = string;

export const CHECKPOINT_MARKER_KEY: MarkerKey = "checkpoint";

/** One GGUF model of a repo: by the file named, or by the quantization asked for (which file it was is recorded inside). */
export function ggufMarkerKey(selection: GgufSelection): MarkerKey {
  const raw = "file" in selection ? `file-${selection.file}` : `quant-${selection.quant.toUpperCase()}`;
  return `gguf-${raw.replace(/\//g, "--").replace(/[^A-Za-z0-9._-]/g, "_")}`;
}

/**
 * Written last, after every file of what it vouches for has landed: the folder is trusted for that key only when
 * the marker exists.
 */
export function completionMarkerPath(dir: string, key: MarkerKey): string {
  return join(dir, `.gpt3dev-complete-${key}.json`);
}
