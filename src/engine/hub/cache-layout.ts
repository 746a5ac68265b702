import { join } from "node:path";
import type { ModelDtype } from "../../registry/registry-entry.ts";

/**
 * `{cacheDir}/{owner}--{name}/{revision}/`: one folder per repo revision, mirroring the repo's own layout, so the
 * folder loads exactly like a local `path` entry. The revision is escaped into one safe folder name.
 */
export function hubModelDir(cacheDir: string, repo: string, revision: string): string {
  return join(cacheDir, repo.split("/").join("--"), encodeURIComponent(revision));
}

/**
 * Written last, after every file of a dtype has landed: the folder is trusted for that dtype only when it exists.
 * One marker per dtype because dtypes share config and tokenizer files but not the graph.
 */
export function completionMarkerPath(dir: string, dtype: ModelDtype): string {
  return join(dir, `.gpt3dev-complete-${dtype}.json`);
}
