/**
 * How a decoder graph meets the engine: which inputs it takes, how the KV cache enters and leaves, which
 * positions get logits. The decoder body (decoder-graph.ts) only talks to this interface, so a second layout
 * (engine-owned KV buffers, new rows as outputs) is a second implementation, not an edit of the body.
 */
import type { GraphBuilder, Value } from "../onnx/graph-builder.ts";

export interface LayoutShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
}

export interface DecoderLayoutInstance {
  /** Token ids [batch, seq] (int64). */
  inputIds: Value;
  /** Absolute positions [batch, seq] (int64). */
  positionIds: Value;
  /** bool [batch, 1, seq, keys]: which keys each query sees, with an optional window (i − j ≤ window); shared per window. */
  mask(window: number | null): Value;
  /** This layer's new keys/values [batch, kvHeads, seq, headDim] → what attention reads (past + new), publishing the cache. */
  cache(layer: number, key: Value, value: Value): { keys: Value; values: Value };
  /** Hidden states [batch, seq, hidden] → only the positions whose logits are wanted. */
  keptPositions(hidden: Value): Value;
  /** Declares the logits output [batch, kept, vocab]. */
  logits(logits: Value): void;
}

export interface DecoderLayout {
  /** Short name recorded in the model's metadata (the engine may check it). */
  name: string;
  begin(b: GraphBuilder, shape: LayoutShape): DecoderLayoutInstance;
}
