/**
 * The one place that says how the graphs this server builds (from checkpoints and GGUF files) are laid out and
 * which runtime runs them; ONNX exports are run by DecoderGraph as published. Change the layout and the runtime
 * here together: the layout's name is part of every build's identity, so a change rebuilds cached graphs.
 */
import type * as ort from "onnxruntime-node";
import type { DecoderLayout } from "../../convert/graph/decoder-layout.ts";
import { optimumLayout } from "../../convert/graph/optimum-layout.ts";
import { DecoderGraph } from "../runtime/decoder-graph.ts";

export function builtGraphLayout(): DecoderLayout {
  return optimumLayout({ logitsToKeep: true });
}

/** The runtime for a session over a built graph. */
export function builtGraphRuntime(session: ort.InferenceSession): DecoderGraph {
  return new DecoderGraph(session);
}
