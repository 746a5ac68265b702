import type { DeviceRequest } from "../../registry/registry-entry.ts";

export interface Placement {
  executionProviders: ("cpu" | "cuda")[];
  device: "cpu" | "cuda";
  reason: string;
}

/** Interim: CPU placement only; replaced by the probing selection in device-selection.ts. */
export function resolveExecutionProviders(requested: DeviceRequest): Placement {
  if (requested === "cuda") throw new Error("CUDA was requested but this build has no CUDA provider libraries");
  return { executionProviders: ["cpu"], device: "cpu", reason: requested === "cpu" ? "requested cpu" : "auto: no GPU support probed" };
}
