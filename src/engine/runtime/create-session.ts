import { availableParallelism } from "node:os";
import * as ort from "onnxruntime-node";
import type { DeviceRequest } from "../../registry/registry-entry.ts";
import { resolveExecutionProviders } from "./resolve-device.ts";

export interface CreatedSession {
  session: ort.InferenceSession;
  device: "cpu" | "cuda";
  deviceReason: string;
}

/** One onnxruntime session on the device the entry asks for; all threads go to intra-op parallelism. */
export async function createSession(file: string, device: DeviceRequest, threads: number): Promise<CreatedSession> {
  const placement = resolveExecutionProviders(device);
  const session = await ort.InferenceSession.create(file, {
    executionProviders: placement.executionProviders,
    intraOpNumThreads: threads > 0 ? threads : availableParallelism(),
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    // onnxruntime writes a profile/debug file per process otherwise; keep the working folder clean.
    logSeverityLevel: 3,
  });
  return { session, device: placement.device, deviceReason: placement.reason };
}
