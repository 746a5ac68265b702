/** A graph in the engine-owned KV layout run once over a whole sequence (fresh cache, every position's logits). */
import * as ort from "onnxruntime-node";
import { OwnedKvGraph } from "../../src/engine/runtime/owned-kv-graph.ts";

export async function ownedFullLogits(onnxFile: string, tokens: readonly number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(onnxFile, { intraOpNumThreads: 1 });
  try {
    const graph = new OwnedKvGraph(session);
    const kv = graph.newBuffers({ chunk: 64, maxPositions: 1 << 20 });
    return (await graph.forward({ kv, first: 0, count: 1, steps: tokens.length, tokens, keep: tokens.length, fresh: true })).logits;
  } finally {
    await session.release();
  }
}
