// The commit recorded in the executable: `GPT3DEV_BUILD_COMMIT` when set (container builds have no .git),
// otherwise git's short hash with `-dirty` when tracked files differ from it, otherwise "unknown".
import { repoRoot } from "./package-paths.ts";

function git(args: string[]): string | null {
  const result = Bun.spawnSync(["git", ...args], { cwd: repoRoot, stdout: "pipe", stderr: "ignore" });
  return result.exitCode === 0 ? result.stdout.toString().trim() : null;
}

export function buildCommit(env: Record<string, string | undefined> = process.env): string {
  if (env.GPT3DEV_BUILD_COMMIT) return env.GPT3DEV_BUILD_COMMIT;
  const hash = git(["rev-parse", "--short=12", "HEAD"]);
  if (hash === null) return "unknown";
  const dirty = git(["status", "--porcelain", "--untracked-files=no"]);
  return dirty ? `${hash}-dirty` : hash;
}
