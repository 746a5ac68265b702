// Where a model runs: the requested device (`auto`, `cpu`, `cuda`) against what the CUDA probe found. Pure, so the
// choice is tested on machines without a GPU; the engine calls `selectDevice(requested, probeCuda())`.
import type { CudaProbe } from "../../platform/cuda-probe.ts";
import { DeviceUnavailable } from "../engine-errors.ts";

export type RequestedDevice = "auto" | "cpu" | "cuda";

/** onnxruntime-node execution provider names. */
export type ExecutionProvider = "cpu" | "cuda";

export interface DeviceSelection {
  /** In preference order; `cpu` follows `cuda` so nodes without a CUDA kernel still run. */
  executionProviders: ExecutionProvider[];
  device: "cpu" | "cuda";
  /** One line for the log: what was chosen and why. */
  reason: string;
}


export function selectDevice(requested: RequestedDevice, probe: CudaProbe): DeviceSelection {
  const usable = probe.cudaProviderLibsFound && probe.gpuVisible;
  switch (requested) {
    case "cpu":
      return { executionProviders: ["cpu"], device: "cpu", reason: "cpu requested" };
    case "cuda":
      if (usable) return { executionProviders: ["cuda", "cpu"], device: "cuda", reason: `cuda requested, provider libraries in ${probe.providerDir}` };
      throw new DeviceUnavailable(`device "cuda" is not available: ${probe.reasons.join("; ")}`, probe.reasons);
    case "auto":
      if (usable) return { executionProviders: ["cuda", "cpu"], device: "cuda", reason: `auto: CUDA provider libraries in ${probe.providerDir} and an NVIDIA driver found` };
      return { executionProviders: ["cpu"], device: "cpu", reason: `auto: using cpu, CUDA not usable: ${probe.reasons.join("; ")}` };
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}

/**
 * The probe cannot see whether CUDA 12 and cuDNN 9 load; creating the session can. When a CUDA session fails,
 * `auto` retries on the CPU with this selection, and an explicit `cuda` raises `cudaLoadError(error)`.
 */
export function cpuAfterCudaFailure(error: unknown): DeviceSelection {
  return { executionProviders: ["cpu"], device: "cpu", reason: `auto: using cpu, the CUDA provider failed to load: ${firstLine(error)}` };
}

export function cudaLoadError(error: unknown): DeviceUnavailable {
  const detail = firstLine(error);
  return new DeviceUnavailable(
    `device "cuda" is not available: the CUDA execution provider failed to load (${detail}); ` +
      "it needs the CUDA 12 runtime, cuBLAS and cuDNN 9 libraries on the library path",
    [detail],
  );
}
