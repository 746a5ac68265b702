/**
 * The two kinds of decoder graph the engine runs, and which one a file is: graphs marked gpt3dev.kv_layout =
 * owned-v1 (what the converter builds on CPU) get the engine-owned KV runtime; everything else (ONNX exports in the
 * Optimum layout, and built graphs for CUDA) the Optimum one.
 */
import type * as ort from "onnxruntime-node";
import { KV_LAYOUT_KEY, OWNED_KV_LAYOUT } from "../../convert/graph/owned-kv-layout.ts";
import { DecoderGraph } from "./decoder-graph.ts";
import { readOnnxMetadata } from "./onnx-metadata.ts";
import { OwnedKvGraph } from "./owned-kv-graph.ts";

export type DecoderRuntime = DecoderGraph | OwnedKvGraph;

export function decoderRuntime(session: ort.InferenceSession, onnxFile: string): DecoderRuntime {
  const layout = readOnnxMetadata(onnxFile).get(KV_LAYOUT_KEY);
  if (layout === undefined) return new DecoderGraph(session);
  if (layout !== OWNED_KV_LAYOUT) throw new Error(`the graph's ${KV_LAYOUT_KEY} is ${JSON.stringify(layout)}, which this server does not run (rebuild it)`);
  return new OwnedKvGraph(session);
}
