/**
 * The Optimum / transformers.js decoder interface, the one every ONNX export the engine runs today declares:
 *
 *   inputs   input_ids             int64   [batch_size, sequence_length]
 *            attention_mask        int64   [batch_size, total_sequence_length]   (past + new; 0 = padding)
 *            position_ids          int64   [batch_size, sequence_length]
 *            past_key_values.{i}.key / .value   float32 [batch_size, kv_heads, past_sequence_length, head_dim]
 *            num_logits_to_keep    int64   []   (optional: logits for the last k positions only; 0 = all)
 *   outputs  logits                float32 [batch_size, logits_length, vocab_size]
 *            present.{i}.key / .value           float32 [batch_size, kv_heads, total_sequence_length, head_dim]
 *
 * Only the batch dimension may be called `batch_size`: transformers.js builds the empty first-step cache from
 * these shapes, taking `batch_size` from the inputs and 0 for every other symbolic dimension.
 */
import type { Value } from "../onnx/graph-builder.ts";
import type { DecoderLayout } from "./decoder-layout.ts";
import { attention, decoderMask, repeatKv } from "./layers.ts";

/** INT64_MAX as Slice's open end. */
const TO_END = Number.MAX_SAFE_INTEGER;

export function optimumLayout(opts: { logitsToKeep: boolean }): DecoderLayout {
  return {
    name: opts.logitsToKeep ? "optimum+logits_to_keep" : "optimum",
    begin(b, s) {
      const cacheIn = ["batch_size", s.kvHeads, "past_sequence_length", s.headDim];
      const cacheOut = ["batch_size", s.kvHeads, "total_sequence_length", s.headDim];
      const inputIds = b.input("input_ids", "int64", ["batch_size", "sequence_length"]);
      const attentionMask = b.input("attention_mask", "int64", ["batch_size", "total_sequence_length"]);
      const positionIds = b.input("position_ids", "int64", ["batch_size", "sequence_length"]);
      const past = Array.from({ length: s.layers }, (_, i) => ({
        key: b.input(`past_key_values.${i}.key`, "float32", cacheIn),
        value: b.input(`past_key_values.${i}.value`, "float32", cacheIn),
      }));
      const keep = opts.logitsToKeep ? b.input("num_logits_to_keep", "int64", []) : null;
      const masks = new Map<number | null, Value>();
      const presents: { key: Value; value: Value }[] = [];
      const mask = (window: number | null) => {
        let m = masks.get(window);
        if (!m) masks.set(window, (m = decoderMask(b, inputIds, attentionMask, window)));
        return m;
      };
      const groups = s.heads / s.kvHeads;
      return {
        inputIds,
        positionIds,
        attention({ layer, query, key, value, window, scale }) {
          const keys = b.concat([past[layer]!.key, key], 2); // [batch, kvHeads, past + seq, headDim]
          const values = b.concat([past[layer]!.value, value], 2);
          presents[layer] = { key: keys, value: values };
          // the cache is published with kvHeads heads; attention reads each one `groups` times (HF repeat_kv)
          const k = repeatKv(b, keys, s.kvHeads, groups, s.headDim);
          const v = repeatKv(b, values, s.kvHeads, groups, s.headDim);
          return attention(b, query, k, v, mask(window), scale);
        },
        keptPositions(hidden) {
          if (!keep) return hidden;
          return b.slice(hidden, b.neg(b.unsqueeze(keep, [0])), [TO_END], [1]); // -0 = 0 keeps every position
        },
        logits(logits) {
          b.output(logits, "logits", "float32", ["batch_size", opts.logitsToKeep ? "logits_length" : "sequence_length", s.vocabSize]);
          presents.forEach(({ key, value }, i) => {
            b.output(key, `present.${i}.key`, "float32", cacheOut);
            b.output(value, `present.${i}.value`, "float32", cacheOut);
          });
        },
      };
    },
  };
}
