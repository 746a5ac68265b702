/**
 * What a cached build was made from, and so whether it can be reused: the builder's version, the graph layout,
 * the compute dtype and, for every file the build read, its size and sha256 (recorded when it was downloaded) or,
 * for a user's own folder, its size and modification time. Any difference means a rebuild; equality means none.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { BUILDER_VERSION } from "../../convert/builder-version.ts";
import type { MarkerFile } from "../hub/completion-marker.ts";

export interface SourceFileIdentity {
  path: string;
  size: number;
  sha256?: string;
  mtimeMs?: number;
}

export interface BuildIdentity {
  builderVersion: number;
  layout: string;
  dtype: string;
  kind: "checkpoint" | "gguf";
  files: SourceFileIdentity[];
}

/**
 * `files` relative to `dir`; `recorded`: the hub download's marker files (hash and size), when the folder is a
 * download. A file without a recorded hash is identified by size and modification time.
 */
export function buildIdentity(
  kind: BuildIdentity["kind"],
  graph: { dtype: string; layout: string },
  dir: string,
  files: readonly string[],
  recorded: readonly MarkerFile[] | null,
): BuildIdentity {
  const byPath = new Map((recorded ?? []).map((f) => [f.path, f]));
  const { dtype, layout } = graph;
  return {
    builderVersion: BUILDER_VERSION,
    layout,
    dtype,
    kind,
    files: files.map((path) => {
      const known = byPath.get(path);
      if (known?.sha256 && known.size !== null) return { path, size: known.size, sha256: known.sha256 };
      const stat = statSync(join(dir, path));
      return { path, size: stat.size, mtimeMs: stat.mtimeMs };
    }),
  };
}

export function sameIdentity(a: BuildIdentity, b: BuildIdentity): boolean {
  return canonical(a) === canonical(b);
}

function canonical(id: BuildIdentity): string {
  return JSON.stringify([id.builderVersion, id.layout, id.dtype, id.kind, id.files.map((f) => [f.path, f.size, f.sha256 ?? null, f.mtimeMs ?? null])]);
}
