// What this machine offers for onnxruntime's CUDA execution provider, found without loading anything: the provider
// libraries beside libonnxruntime.so.1 (the only place onnxruntime looks) and an NVIDIA driver. Whether CUDA 12 and
// cuDNN 9 load is only known when a session is created (see device-selection.ts for that failure).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CUDA_PROVIDER_DIR_ENV, CUDA_PROVIDER_LIBS } from "./cuda-provider-files.ts";
import type { Env } from "./native-cache-dir.ts";
import { hasEmbeddedNativeLibraries, nativeLibraryDir } from "./native-setup.ts";

export interface CudaProbe {
  /** Both provider libraries sit in `providerDir`, where onnxruntime will look for them. */
  cudaProviderLibsFound: boolean;
  /** The folder onnxruntime loads provider libraries from (beside libonnxruntime.so.1); null when unknown. */
  providerDir: string | null;
  /** An NVIDIA driver is present (/proc/driver/nvidia or /dev/nvidia* device nodes). */
  gpuVisible: boolean;
  /** What is missing, one phrase each, for logs and error messages; empty when CUDA looks usable. */
  reasons: string[];
}

export interface CudaProbeInputs {
  env: Env;
  platform: string;
  arch: string;
  /** Folder that holds libonnxruntime.so.1 (nativeLibraryDir()). */
  runtimeDir: string | null;
  /** True in the executable, which links ORT_CUDA_PROVIDER_DIR's libraries into its extraction folder. */
  compiled: boolean;
  exists: (path: string) => boolean;
}

const DRIVER_PATHS = ["/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/nvidia0"];

/** The probe's logic over injected inputs, so tests can simulate any machine. */
export function probeCudaWith(inputs: CudaProbeInputs): CudaProbe {
  const reasons: string[] = [];
  if (inputs.platform !== "linux" || inputs.arch !== "x64") {
    reasons.push(`onnxruntime publishes CUDA provider libraries for linux-x64 only, this is ${inputs.platform}-${inputs.arch}`);
  }
  const runtimeDir = inputs.runtimeDir;
  const missing = CUDA_PROVIDER_LIBS.filter((name) => runtimeDir === null || !inputs.exists(join(runtimeDir, name)));
  const cudaProviderLibsFound = runtimeDir !== null && missing.length === 0;
  if (!cudaProviderLibsFound) {
    const where = runtimeDir ?? "the onnxruntime library folder (unknown)";
    const envDir = inputs.env[CUDA_PROVIDER_DIR_ENV];
    if (envDir && !inputs.compiled) {
      reasons.push(
        `${missing.join(" and ")} not found in ${where}; ${CUDA_PROVIDER_DIR_ENV} is honoured by the executable only, ` +
          `under bun run copy the files there`,
      );
    } else if (envDir) {
      reasons.push(`${missing.join(" and ")} not found in ${CUDA_PROVIDER_DIR_ENV}=${envDir}`);
    } else {
      reasons.push(`${missing.join(" and ")} not found in ${where} (or set ${CUDA_PROVIDER_DIR_ENV} to their folder)`);
    }
  }
  const gpuVisible = DRIVER_PATHS.some((path) => inputs.exists(path));
  if (!gpuVisible) reasons.push("no NVIDIA driver found (no /proc/driver/nvidia, no /dev/nvidia* devices)");
  return { cudaProviderLibsFound, providerDir: runtimeDir, gpuVisible, reasons };
}

/** Probes this process's machine. */
export function probeCuda(env: Env = process.env): CudaProbe {
  return probeCudaWith({
    env,
    platform: process.platform,
    arch: process.arch,
    runtimeDir: nativeLibraryDir(env),
    compiled: hasEmbeddedNativeLibraries(),
    exists: existsSync,
  });
}
