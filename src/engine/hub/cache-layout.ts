import { join } from "node:path";

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

/**
 * Written last, after every file of what it vouches for has landed: the folder is trusted for that key only when
 * the marker exists.
 */
export function completionMarkerPath(dir: string, key: MarkerKey): string {
  return join(dir, `.gpt3dev-complete-${key}.json`);
}
