import { homedir } from "node:os";
import { join } from "node:path";
import type { Settings } from "../../config/settings-spec.ts";

/**
 * The model cache root: MODEL_CACHE_DIR, else $HF_HOME/gpt3dev-api, else $XDG_CACHE_HOME (or ~/.cache)/gpt3dev-api/models.
 * Always a user folder, never beside the program (inside node_modules or the executable's virtual file system).
 * Lives here rather than in model-pool.ts so `list` and `pull` need not load the inference engine.
 */
export function modelCacheDir(settings: Pick<Settings, "cacheDir">, env: Record<string, string | undefined>): string {
  if (settings.cacheDir) return settings.cacheDir;
  if (env.HF_HOME) return join(env.HF_HOME, "gpt3dev-api");
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "gpt3dev-api", "models");
}
