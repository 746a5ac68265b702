/**
 * `build.json`, written into a build folder last: what it was built from (its identity), what it holds (each
 * output file and its size, so a damaged build is not trusted) and what the model is (for /v1/models).
 */
import { readFileSync, statSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ModelAbout } from "../model-about.ts";
import type { BuildIdentity } from "./build-identity.ts";

export const BUILD_RECORD = "build.json";

export interface BuildRecord {
  identity: BuildIdentity;
  /** Output files relative to the build folder, with their sizes. */
  outputs: { path: string; size: number }[];
  about: ModelAbout;
}

/** The folder's record when every output it lists is there at its size, else null. */
export function readBuildRecord(dir: string): BuildRecord | null {
  let record: BuildRecord;
  try {
    record = JSON.parse(readFileSync(join(dir, BUILD_RECORD), "utf8")) as BuildRecord;
  } catch {
    return null;
  }
  if (!record || !Array.isArray(record.outputs) || !record.identity || !record.about) return null;
  return record.outputs.every((o) => sizeOf(join(dir, o.path)) === o.size) ? record : null;
}

export async function writeBuildRecord(dir: string, record: Omit<BuildRecord, "outputs">, outputs: readonly string[]): Promise<BuildRecord> {
  const full: BuildRecord = { ...record, outputs: outputs.map((path) => ({ path, size: statSync(join(dir, path)).size })) };
  await writeFile(join(dir, BUILD_RECORD), `${JSON.stringify(full, null, 2)}\n`);
  return full;
}

function sizeOf(file: string): number | null {
  try {
    return statSync(file).size;
  } catch {
    return null;
  }
}
