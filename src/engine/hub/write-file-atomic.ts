import { open, rename, rm } from "node:fs/promises";

/** A name beside `dest` that no reader trusts (and stale-part cleanup can recognise). */
export function partFileName(dest: string): string {
  return `${dest}.incomplete-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Small files (the completion marker): write beside, flush, rename over, so readers see all or nothing. */
export async function writeFileAtomic(dest: string, text: string): Promise<void> {
  const part = partFileName(dest);
  try {
    const handle = await open(part, "w");
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(part, dest);
  } catch (err) {
    await rm(part, { force: true });
    throw err;
  }
}
