// One Bun.build call that turns an entry into a self-contained executable for a target.
import { statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { repoRoot } from "./package-paths.ts";
import { sharpStubPlugin } from "./sharp-stub-plugin.ts";
import { assertAllPatchesApplied, dependencyPatchesPlugin } from "./dependency-patches-plugin.ts";
import type { FilePatch } from "./dependency-patches.ts";
import { nativeAssetsPlugin } from "./native-assets-plugin.ts";
import { checkPinnedVersions } from "./pinned-versions.ts";
import type { NativeTarget } from "./targets.ts";

export interface CompileOptions {
  entry: string;
  outfile: string;
  target: NativeTarget;
  version: string;
  commit: string;
}

/** The grammar engine's worker: a second entrypoint, as Bun bundles workers separately. */
const GRAMMAR_WORKER = join(repoRoot, "src", "engine", "grammar", "grammar-worker.ts");

/** Where Bun puts an extra entrypoint inside the binary: /$bunfs/root/ + its path from the entries' common folder. */
function embeddedPath(entries: string[], file: string): string {
  let common = dirname(entries[0]!);
  while (!entries.every((e) => e.startsWith(common + sep))) common = dirname(common);
  return `/$bunfs/root/${relative(common, file).split(sep).join("/").replace(/\.ts$/, ".js")}`;
}

export async function compileExecutable(options: CompileOptions): Promise<{ bytes: number }> {
  checkPinnedVersions();
  const entrypoints = [options.entry, GRAMMAR_WORKER];
  const applied = new Set<FilePatch>();
  let nativeAssetsReplaced = false;
  const result = await Bun.build({
    entrypoints,
    compile: {
      target: options.target.bunTarget as Bun.Build.CompileTarget,
      outfile: options.outfile,
      // A bunfig.toml in the working folder could preload code into the server; never read one.
      autoloadBunfig: false,
    },
    format: "esm",
    minify: true,
    bytecode: true,
    define: {
      GPT3DEV_BUILD_VERSION: JSON.stringify(options.version),
      GPT3DEV_BUILD_COMMIT: JSON.stringify(options.commit),
      GPT3DEV_GRAMMAR_WORKER: JSON.stringify(embeddedPath(entrypoints, GRAMMAR_WORKER)),
    },
    plugins: [
      sharpStubPlugin,
      dependencyPatchesPlugin(applied),
      nativeAssetsPlugin(options.target, () => {
        nativeAssetsReplaced = true;
      }),
    ],
    throw: false,
  });
  if (!result.success) {
    const messages = result.logs.map((log) => String(log.message ?? log)).join("\n");
    throw new Error(`build: Bun.build failed:\n${messages}`);
  }
  assertAllPatchesApplied(applied);
  if (!nativeAssetsReplaced) {
    throw new Error("build: src/platform/native-assets.ts was not part of the bundle; the executable would not embed onnxruntime");
  }
  return { bytes: statSync(options.outfile).size };
}
