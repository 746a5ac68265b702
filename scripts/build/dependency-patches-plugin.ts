// Applies DEPENDENCY_PATCHES while bundling and records which ran, so the build can fail when a patched file is no
// longer part of the bundle (a moved patch point that the text check alone would not see).
import type { BunPlugin } from "bun";
import { readFile } from "node:fs/promises";
import { DEPENDENCY_PATCHES, type FilePatch } from "./dependency-patches.ts";
import { applyPatch } from "./patch-source.ts";

export function dependencyPatchesPlugin(applied: Set<FilePatch>): BunPlugin {
  return {
    name: "gpt3dev-dependency-patches",
    setup(build) {
      for (const patch of DEPENDENCY_PATCHES) {
        build.onLoad({ filter: patch.file }, async ({ path }) => {
          const contents = applyPatch(await readFile(path, "utf8"), path, patch);
          applied.add(patch);
          return { contents, loader: "js" };
        });
      }
    },
  };
}

/** Throws when a patch never ran: its file was not loaded by the bundle. */
export function assertAllPatchesApplied(applied: ReadonlySet<FilePatch>): void {
  const missing = DEPENDENCY_PATCHES.filter((patch) => !applied.has(patch));
  if (missing.length > 0) {
    const lines = missing.map((patch) => `  ${patch.label} (${patch.writtenFor}): no bundled file matched ${patch.file}`);
    throw new Error(`build: patch points moved, these patches never applied:\n${lines.join("\n")}`);
  }
}
