// Where the executable extracts its embedded native libraries. Read here, at start-up, rather than from the server's
// config: onnxruntime-node is loaded while modules are still being imported, before any config object exists.
import { homedir } from "node:os";
import { join } from "node:path";
import { programVersion } from "./build-info.ts";

/** Environment variable naming the folder that holds the extracted native libraries (used as is, no subfolders). */
export const NATIVE_DIR_ENV = "GPT3DEV_NATIVE_DIR";

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * `$GPT3DEV_NATIVE_DIR` when set; otherwise `$XDG_CACHE_HOME/gpt3dev-api/<version>/<folderName>`,
 * falling back to `~/.cache` for `$XDG_CACHE_HOME`.
 */
export function resolveNativeDir(folderName: string, env: Env = process.env): string {
  const explicit = env[NATIVE_DIR_ENV];
  if (explicit) return explicit;
  const cacheHome = env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache");
  return join(cacheHome, "gpt3dev-api", programVersion, folderName);
}
