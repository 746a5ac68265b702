// Run-time side of the executable's native libraries: extract them once, say where they are. Under `bun run`
// (no embedded files) nothing is extracted and onnxruntime-node loads its binaries from node_modules as usual.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { CUDA_PROVIDER_DIR_ENV, linkCudaProviderLibs } from "./cuda-provider-files.ts";
import { extractNativeFiles } from "./extract-native-files.ts";
import { embeddedNativeAssets } from "./native-assets.ts";
import { type Env, NATIVE_DIR_ENV, resolveNativeDir } from "./native-cache-dir.ts";

let preparedDir: string | null = null;

/** True in the compiled executable, which carries its own native libraries. */
export function hasEmbeddedNativeLibraries(): boolean {
  return embeddedNativeAssets !== null;
}

/** The extraction folder for this process: one per build, and one per CUDA provider folder linked into it. */
function extractionDir(folderName: string, env: Env): string {
  const providerDir = env[CUDA_PROVIDER_DIR_ENV];
  if (!providerDir || env[NATIVE_DIR_ENV]) return resolveNativeDir(folderName, env);
  const tag = createHash("sha256").update(resolve(providerDir)).digest("hex").slice(0, 8);
  return resolveNativeDir(`${folderName}-cuda-${tag}`, env);
}

/**
 * Extracts the embedded native libraries (idempotent, safe for concurrent starts) and returns their folder;
 * returns null under `bun run`. Throws NativeSetupError with a one-line message when the folder is unusable.
 */
export function prepareNativeLibraries(env: Env = process.env): string | null {
  const assets = embeddedNativeAssets;
  if (assets === null) return null;
  if (preparedDir !== null) return preparedDir;
  const dir = extractionDir(assets.folderName, env);
  extractNativeFiles(assets, dir);
  const providerDir = env[CUDA_PROVIDER_DIR_ENV];
  if (providerDir) linkCudaProviderLibs(providerDir, dir);
  preparedDir = dir;
  return dir;
}

/** The onnxruntime-node binary folder inside node_modules, for `bun run`. */
function nodeModulesBinDir(): string | null {
  try {
    const packageJson = createRequire(import.meta.url).resolve("onnxruntime-node/package.json");
    const dir = join(dirname(packageJson), "bin", "napi-v6", process.platform, process.arch);
    return existsSync(dir) ? dir : null;
  } catch {
    return null;
  }
}

/**
 * The folder that holds libonnxruntime.so.1 at run time (onnxruntime looks for execution-provider libraries there):
 * the extraction folder in the executable, onnxruntime-node's binary folder under `bun run`, null if neither is known.
 */
export function nativeLibraryDir(env: Env = process.env): string | null {
  const assets = embeddedNativeAssets;
  if (assets === null) return nodeModulesBinDir();
  return preparedDir ?? extractionDir(assets.folderName, env);
}
