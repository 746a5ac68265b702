/**
 * The one place that says how the graphs this server builds (from checkpoints and GGUF files) are laid out: on the
 * CPU the engine-owned KV layout (the cache stays in engine buffers, fed zero-copy; docs/perf/owned-kv-layout.md),
 * on CUDA the Optimum layout the engine has always run there. onnxruntime-node has no IO binding, so a CUDA session
 * copies every host input to the device on every run: owned buffers would travel host→device each step, which was
 * not measured on a GPU; the Optimum path is the one known not to regress. The layout's name is part of every
 * build's identity, so a change (or a model moving between devices) rebuilds its cached graph; the runtime is
 * picked from the built file's metadata (runtime/decoder-runtime.ts).
 */
import type { DecoderLayout } from "../../convert/graph/decoder-layout.ts";
import { optimumLayout } from "../../convert/graph/optimum-layout.ts";
import { ownedKvLayout } from "../../convert/graph/owned-kv-layout.ts";
import { probeCuda } from "../../platform/cuda-probe.ts";
import type { DeviceRequest } from "../../registry/registry-entry.ts";
import { selectDevice } from "../runtime/device-selection.ts";

export function builtGraphLayout(device: "cpu" | "cuda"): DecoderLayout {
  return device === "cuda" ? optimumLayout({ logitsToKeep: true }) : ownedKvLayout();
}

/** Where an entry's graph will run, as the session will place it; an unusable explicit `cuda` fails at load anyway. */
export function buildDevice(requested: DeviceRequest): "cpu" | "cuda" {
  if (requested === "cpu") return "cpu";
  try {
    return selectDevice(requested, probeCuda()).device;
  } catch {
    return "cpu";
  }
}
