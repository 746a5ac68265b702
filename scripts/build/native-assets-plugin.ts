// Replaces src/platform/native-assets.ts with the list of native files embedded for the build target. Each file is
// zstd-compressed (onnxruntime 45.8 MB → about 15 MB; decompressed once, at the first start), written under
// dist/.native/, imported with `type: "file"` (Bun embeds it and yields a /$bunfs path) and described by name and
// size. The extraction folder's name carries a hash of the files, so a rebuilt executable never reuses stale ones.
import type { BunPlugin } from "bun";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageDir, repoRoot } from "./package-paths.ts";
import type { NativeTarget } from "./targets.ts";

/** zstd level: 9 builds in about 2 s; 19 saves another 1.6 MB for 25 s. */
const ZSTD_LEVEL = 9;

/** Compressed copies, kept between builds: the folder name carries the content hash and the level. */
function compressedCopy(source: string, data: Buffer, folder: string): string {
  const path = join(folder, `${source.split("/").pop()}.zst`);
  if (!existsSync(path)) {
    mkdirSync(folder, { recursive: true });
    writeFileSync(`${path}.tmp`, Bun.zstdCompressSync(data, { level: ZSTD_LEVEL }));
    renameSync(`${path}.tmp`, path);
  }
  return path;
}

export function nativeAssetsSource(target: NativeTarget): string {
  const dir = join(packageDir("onnxruntime-node"), "bin", "napi-v6", target.binSubdir);
  const contents = target.files.map((name) => ({ name, data: readFileSync(join(dir, name)) }));
  const hash = createHash("sha256");
  for (const { name, data } of contents) hash.update(name).update(data);
  const folderName = `native-${target.binSubdir.replace("/", "-")}-${hash.digest("hex").slice(0, 12)}`;
  const workFolder = join(repoRoot, "dist", ".native", `${folderName}-zstd${ZSTD_LEVEL}`);
  const imports: string[] = [];
  const entries: string[] = [];
  contents.forEach(({ name, data }, index) => {
    const path = compressedCopy(join(dir, name), data, workFolder);
    imports.push(`import file${index} from ${JSON.stringify(path)} with { type: "file" };`);
    entries.push(`{ name: ${JSON.stringify(name)}, embeddedPath: file${index}, size: ${data.byteLength} }`);
  });
  return [
    ...imports,
    "export const embeddedNativeAssets = {",
    `  folderName: ${JSON.stringify(folderName)},`,
    `  bindingName: ${JSON.stringify(target.files[0])},`,
    `  files: [${entries.join(", ")}],`,
    "};",
  ].join("\n");
}

/** `onApplied` runs when the module is replaced: the build fails if it never is (the file moved). */
export function nativeAssetsPlugin(target: NativeTarget, onApplied: () => void): BunPlugin {
  const contents = nativeAssetsSource(target);
  return {
    name: "gpt3dev-native-assets",
    setup(build) {
      build.onLoad({ filter: /[\\/]src[\\/]platform[\\/]native-assets\.ts$/ }, () => {
        onApplied();
        return { contents, loader: "ts" };
      });
    },
  };
}
