// One Bun.build call that turns an entry into a self-contained executable for a target.
import { statSync } from "node:fs";
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

export async function compileExecutable(options: CompileOptions): Promise<{ bytes: number }> {
  checkPinnedVersions();
  const applied = new Set<FilePatch>();
  let nativeAssetsReplaced = false;
  const result = await Bun.build({
    entrypoints: [options.entry],
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
