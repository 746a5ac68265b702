// The onnxruntime CUDA provider libraries and where an operator may keep them. onnxruntime loads them from the
// folder that holds libonnxruntime.so.1, nowhere else; the executable links them there from ORT_CUDA_PROVIDER_DIR.
import { readdirSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { nativeSetupErrorFrom } from "./native-setup-error.ts";

export const CUDA_PROVIDER_DIR_ENV = "ORT_CUDA_PROVIDER_DIR";

/** Both must sit beside libonnxruntime.so.1 for the CUDA execution provider to load. */
export const CUDA_PROVIDER_LIBS = ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"] as const;

/**
 * Links every `libonnxruntime_providers_*.so` of `providerDir` into `nativeDir` (symlink under a temporary name,
 * then rename, so concurrent starts never see a missing link). An absent or unreadable provider folder links nothing:
 * the device probe reports it when CUDA is asked for.
 */
export function linkCudaProviderLibs(providerDir: string, nativeDir: string): void {
  let names: string[];
  try {
    names = readdirSync(providerDir).filter((name) => /^libonnxruntime_providers_\w+\.so$/.test(name));
  } catch {
    return;
  }
  try {
    for (const name of names) {
      const tmp = join(nativeDir, `${name}.tmp-${process.pid}`);
      rmSync(tmp, { force: true });
      symlinkSync(resolve(providerDir, name), tmp);
      renameSync(tmp, join(nativeDir, name));
    }
  } catch (error) {
    throw nativeSetupErrorFrom(error, nativeDir, "link CUDA provider");
  }
}
