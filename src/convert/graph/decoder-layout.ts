/**
 * How a decoder graph meets the engine: which inputs it takes, how the KV cache enters and leaves (and so how
 * attention reads it), which positions get logits. The decoder body (decoder-graph.ts) only talks to this
 * interface; two layouts implement it: the Optimum one (past_key_values in, present out; what exports declare)
 * and the engine-owned one (cache buffers in, only new rows out; owned-kv-layout.ts).
 */
import type { GraphBuilder, Value } from "../onnx/graph-builder.ts";

export interface LayoutShape {
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
}

/** One layer's attention, handed to the layout with the new tokens' q, k, v. */
export interface AttentionCall {
  layer: number;
  /** [batch, heads, seq, headDim], after q-norm and rotary. */
  query: Value;
  /** [batch, kvHeads, seq, headDim], after k-norm and rotary: exactly what the cache stores. */
  key: Value;
  value: Value;
  /** Farthest back a query may look (key j visible to query i when i − j ≤ window); null = the whole past. */
  window: number | null;
  scale: number;
}

export interface DecoderLayoutInstance {
  /** Token ids [batch, seq] (int64). */
  inputIds: Value;
  /** Absolute positions [batch, seq] (int64). */
  positionIds: Value;
  /** softmax(q·kᵀ·scale) · v over the past and the new tokens → [batch, heads, seq, headDim]; publishes the cache. */
  attention(call: AttentionCall): Value;
  /** Hidden states [batch, seq, hidden] → only the positions whose logits are wanted. */
  keptPositions(hidden: Value): Value;
  /** Declares the logits output [batch, kept, vocab]. */
  logits(logits: Value): void;
}

export interface DecoderLayout {
  /** Short name recorded in the model's metadata and in a build's identity. */
  name: string;
  /** Extra metadata_props the engine reads to pick its runtime (gpt3dev.kv_layout). */
  metadata?: Readonly<Record<string, string>>;
  begin(b: GraphBuilder, shape: LayoutShape): DecoderLayoutInstance;
}
