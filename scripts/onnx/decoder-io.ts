/**
 * The Optimum / transformers.js decoder interface: the inputs and outputs every decoder graph here declares.
 *
 *   inputs   input_ids             int64   [batch_size, sequence_length]
 *            attention_mask        int64   [batch_size, total_sequence_length]   (past + new; 0 = padding)
 *            position_ids          int64   [batch_size, sequence_length]
 *            past_key_values.{i}.key / .value   float32 [batch_size, kv_heads, past_sequence_length, head_dim]
 *   outputs  logits                float32 [batch_size, sequence_length, vocab_size]
 *            present.{i}.key / .value           float32 [batch_size, kv_heads, total_sequence_length, head_dim]
 *
 * Only the batch dimension may be called `batch_size`: transformers.js builds the empty first-step cache from
 * these shapes, taking `batch_size` from the inputs and 0 for every other symbolic dimension.
 */
import type { GraphBuilder, Value } from "./graph-builder.ts";

export interface DecoderInputs {
  inputIds: Value;
  attentionMask: Value;
  positionIds: Value;
  pastKeys: Value[];
  pastValues: Value[];
}

export function decoderInputs(b: GraphBuilder, s: { layers: number; kvHeads: number; headDim: number }): DecoderInputs {
  const cacheShape = ["batch_size", s.kvHeads, "past_sequence_length", s.headDim];
  const io: DecoderInputs = {
    inputIds: b.input("input_ids", "int64", ["batch_size", "sequence_length"]),
    attentionMask: b.input("attention_mask", "int64", ["batch_size", "total_sequence_length"]),
    positionIds: b.input("position_ids", "int64", ["batch_size", "sequence_length"]),
    pastKeys: [],
    pastValues: [],
  };
  for (let i = 0; i < s.layers; i++) {
    io.pastKeys.push(b.input(`past_key_values.${i}.key`, "float32", cacheShape));
    io.pastValues.push(b.input(`past_key_values.${i}.value`, "float32", cacheShape));
  }
  return io;
}

export function decoderOutputs(
  b: GraphBuilder,
  logits: Value,
  presents: readonly { key: Value; value: Value }[],
  s: { vocabSize: number; kvHeads: number; headDim: number },
): void {
  b.output(logits, "logits", "float32", ["batch_size", "sequence_length", s.vocabSize]);
  const cacheShape = ["batch_size", s.kvHeads, "total_sequence_length", s.headDim];
  presents.forEach(({ key, value }, i) => {
    b.output(key, `present.${i}.key`, "float32", cacheShape);
    b.output(value, `present.${i}.value`, "float32", cacheShape);
  });
}
