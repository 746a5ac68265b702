import { readdir, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** A part file untouched this long belongs to a download that died (a live one writes every few seconds). */
const STALE_AFTER_MS = 10 * 60_000;

/**
 * Removes `{file}.incomplete-*` left by a killed process. Parts are never trusted (their names differ), so this only
 * reclaims disk; recent ones are kept because another process may be writing them right now.
 */
export async function removeStaleParts(dest: string): Promise<void> {
  const dir = dirname(dest);
  const prefix = `${basename(dest)}.incomplete-`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const path = join(dir, name);
    try {
      if (now - (await stat(path)).mtimeMs > STALE_AFTER_MS) await rm(path, { force: true });
    } catch {
      // Gone already (its owner finished or another cleanup won).
    }
  }
}
