import * as ort from "onnxruntime-node";
import { DeviceUnavailable } from "../engine-errors.ts";
import { probeCuda } from "../../platform/cuda-probe.ts";
import type { DeviceRequest } from "../../registry/registry-entry.ts";
import { cpuAfterCudaFailure, cudaLoadError, selectDevice, type DeviceSelection } from "./device-selection.ts";
import { sessionOptions } from "./session-options.ts";

export interface CreatedSession {
  session: ort.InferenceSession;
  device: "cpu" | "cuda";
  deviceReason: string;
}

/**
 * One onnxruntime session on the device the entry asks for; all threads go to intra-op parallelism. `auto` falls
 * back to the CPU when the CUDA provider cannot load; an explicit `cuda` that cannot be honoured fails this
 * model's load only, with a message naming what is missing.
 */
export async function createSession(file: string, device: DeviceRequest, threads: number): Promise<CreatedSession> {
  const options = (eps: DeviceSelection["executionProviders"]) => sessionOptions(eps, threads);
  let placement: DeviceSelection;
  try {
    placement = selectDevice(device, probeCuda());
  } catch (err) {
    throw deviceError(err);
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, options(placement.executionProviders));
  } catch (err) {
    if (placement.device !== "cuda") throw err;
    if (device === "cuda") throw deviceError(cudaLoadError(err));
    placement = cpuAfterCudaFailure(err);
    session = await ort.InferenceSession.create(file, options(placement.executionProviders));
  }
  return { session, device: placement.device, deviceReason: placement.reason };
}

/** The placement failure as the client reads it: this model (not the server) cannot run here. */
function deviceError(err: unknown): unknown {
  if (!(err instanceof DeviceUnavailable)) return err;
  return new DeviceUnavailable(`This model could not be placed: ${err.message}.`, err.missing);
}
