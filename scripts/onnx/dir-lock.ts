/**
 * An inter-process lock on a folder, for the test-model factory: parallel `bun test` runs in one checkout must not
 * write the same model at once.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** A lock older than this is taken over even if its owner seems alive (pid reuse). */
const STALE_LOCK_MS = 10 * 60_000;

/**
 * Runs `body` holding `lockDir` (mkdir is atomic). The lock records its owner's pid, so a run killed mid-write
 * (Ctrl-C) does not block the next one.
 */
export async function withDirLock(lockDir: string, body: () => Promise<void>): Promise<void> {
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, "pid"), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (lockIsStale(lockDir)) fs.rmSync(lockDir, { recursive: true, force: true });
      else await Bun.sleep(100);
    }
  }
  try {
    await body();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

function lockIsStale(lockDir: string): boolean {
  const stat = fs.statSync(lockDir, { throwIfNoEntry: false });
  if (!stat) return false;
  if (Date.now() - stat.mtimeMs > STALE_LOCK_MS) return true;
  const owner = readPid(path.join(lockDir, "pid"));
  if (!owner) return Date.now() - stat.mtimeMs > 5_000; // the owner writes its pid right after mkdir
  try {
    process.kill(owner, 0); // signal 0: only asks whether the process exists
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function readPid(file: string): number {
  try {
    return Number.parseInt(fs.readFileSync(file, "utf8"), 10) || 0;
  } catch {
    return 0;
  }
}
