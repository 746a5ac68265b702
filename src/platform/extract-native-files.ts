// Copies the embedded native files into a folder once. Each file is written under a temporary name, synced and
// renamed into place, so a process that starts at the same time sees either no file or a complete one; a stamp
// written last says that the whole set belongs to this build (a folder named by GPT3DEV_NATIVE_DIR may hold
// another build's files).
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { EmbeddedNativeAssets } from "./native-assets.ts";
import { nativeSetupErrorFrom } from "./native-setup-error.ts";

const STAMP = ".gpt3dev-native";

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** True when every file is in place with its size and the stamp names this set. */
export function isExtracted(assets: EmbeddedNativeAssets, dir: string): boolean {
  return (
    readText(join(dir, STAMP)) === assets.folderName &&
    assets.files.every((file) => sizeOf(join(dir, file.name)) === file.size)
  );
}

/** Writes `data` to `path` atomically: temporary file in the same folder, fsync, rename. */
export function writeFileAtomically(path: string, data: Uint8Array | string, mode = 0o644): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    const fd = openSync(tmp, "wx", mode);
    try {
      const bytes = typeof data === "string" ? Buffer.from(data) : data;
      let offset = 0;
      while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset, bytes.byteLength - offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** Makes `dir` hold the embedded files; throws NativeSetupError (one line) when the folder cannot take them. */
export function extractNativeFiles(assets: EmbeddedNativeAssets, dir: string): void {
  if (isExtracted(assets, dir)) return;
  try {
    mkdirSync(dir, { recursive: true });
    for (const file of assets.files) {
      writeFileAtomically(join(dir, file.name), Bun.zstdDecompressSync(readFileSync(file.embeddedPath)), 0o755);
    }
    writeFileAtomically(join(dir, STAMP), assets.folderName);
  } catch (error) {
    throw nativeSetupErrorFrom(error, dir, "write");
  }
}
