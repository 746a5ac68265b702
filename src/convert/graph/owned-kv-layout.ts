/**
 * The engine-owned KV layout (docs/perf/owned-kv-layout.md), what the graphs we build use on CPU. The engine keeps
 * every layer's cache in its own buffers [batch, kvHeads, capacity, headDim] and feeds them zero-copy; the graph
 * returns only the logits asked for and each layer's new K/V rows, which the engine writes into place. Nothing that
 * grows with the cache is ever an output, because onnxruntime-node copies every output it returns.
 *
 *   inputs   input_ids           int64   [batch, seq]
 *            past_lengths        int64   [batch]      slots [0, past_lengths[b]) of row b hold positions 0 …
 *            num_logits_to_keep  int64   []           logits of the last `keep` new positions (0: none, no LM head)
 *            cache.{i}.key / .value   float32 [batch, kv_heads, capacity, head_dim]   (capacity may be 0)
 *   outputs  logits              float32 [batch, keep, vocab]
 *            new.{i}.key / .value     float32 [batch, kv_heads, seq, head_dim]        (K after rotary and k-norm)
 *
 * Attention is plain ops over the whole capacity (docs/perf/attention.md): scores against the cache with a bias
 * that masks unused slots (and, with a window, slots too far back), scores among the new tokens with a causal bias,
 * one softmax over both. Scores against the cache are K·qᵀ, transposed (small): q·Kᵀ made onnxruntime repack the
 * whole cache every step (with the fused glue, K·qᵀ measured 9–22% less CPU per q4 / q8 decode step). Grouped-query
 * attention never repeats the cache: the query heads sharing a KV head are folded into its query rows
 * ([batch, kvHeads, groups·seq, headDim]), so the cache is read once per KV head.
 */
import type { Value } from "../onnx/graph-builder.ts";
import type { AttentionCall, DecoderLayout } from "./decoder-layout.ts";
import { MASKED_SCORE } from "./layers.ts";

/** metadata_props key and value that mark this interface; the engine picks its runtime by them. */
export const KV_LAYOUT_KEY = "gpt3dev.kv_layout";
export const OWNED_KV_LAYOUT = "owned-v1";

export function ownedKvLayout(): DecoderLayout {
  return {
    name: "owned-kv-v1",
    metadata: { [KV_LAYOUT_KEY]: OWNED_KV_LAYOUT },
    begin(b, s) {
      const G = s.heads / s.kvHeads;
      const cacheDims = ["batch", s.kvHeads, "capacity", s.headDim];
      const inputIds = b.input("input_ids", "int64", ["batch", "seq"]);
      const pastLengths = b.input("past_lengths", "int64", ["batch"]);
      const keep = b.input("num_logits_to_keep", "int64", []);
      const cache = Array.from({ length: s.layers }, (_, i) => ({
        key: b.input(`cache.${i}.key`, "float32", cacheDims),
        value: b.input(`cache.${i}.value`, "float32", cacheDims),
      }));

      const zero = b.int64s([0], []);
      const one = b.int64s([1], []);
      const S = b.dim(inputIds, 1);
      const step = b.range(zero, S, one); // [S]
      const past = b.unsqueeze(pastLengths, [1]); // [B, 1]
      const positionIds = b.add(past, step); // [B, S]: slot j of a row holds position j
      const C = b.dim(cache[0]!.key, 2);
      const slot = b.range(zero, C, one); // [C]
      const splitSizes = b.concat([b.unsqueeze(C, [0]), b.unsqueeze(S, [0])], 0);
      const bias = (visible: Value) => b.where(visible, b.scalar(0), b.scalar(MASKED_SCORE));
      /** Query rows are (group, position) pairs: a bias over positions is repeated once per group. */
      const perGroup = (x: Value, rank: number) => (G === 1 ? x : b.op("Tile", [x, b.int64s(rank === 2 ? [G, 1] : [1, 1, G, 1])]));

      // Biases shared by every layer with the same window, made once.
      const biases = new Map<number | null, { past: Value; fresh: Value }>();
      const biasFor = (window: number | null) => {
        let m = biases.get(window);
        if (m) return m;
        const used = b.op("Less", [slot, past]); // [B, C]
        let pastBias: Value;
        if (window === null) pastBias = b.unsqueeze(bias(used), [1, 2]); // [B, 1, 1, C]: the same for every query row
        else {
          // position − slot ≤ window, for every new token: [B, S, C]
          const near = b.lessOrEqual(b.sub(b.unsqueeze(positionIds, [2]), slot), b.int64s([window], []));
          pastBias = perGroup(b.unsqueeze(bias(b.and(near, b.unsqueeze(used, [1]))), [1]), 4); // [B, 1, G·S, C]
        }
        const rowsAt = b.unsqueeze(step, [1]); // [S, 1]
        let causal = b.lessOrEqual(step, rowsAt); // [S, S]: token t visible to token s when t ≤ s
        if (window !== null) causal = b.and(causal, b.lessOrEqual(b.sub(rowsAt, step), b.int64s([window], [])));
        m = { past: pastBias, fresh: perGroup(bias(causal), 2) }; // fresh: [G·S, S]
        biases.set(window, m);
        return m;
      };

      const attention = ({ layer, query, key, value, window, scale }: AttentionCall): Value => {
        const { past: pastBias, fresh: freshBias } = biasFor(window);
        const { key: cacheK, value: cacheV } = cache[layer]!;
        b.output(key, `new.${layer}.key`, "float32", ["batch", s.kvHeads, "seq", s.headDim]);
        b.output(value, `new.${layer}.value`, "float32", ["batch", s.kvHeads, "seq", s.headDim]);
        let q = b.mul(query, b.scalar(scale)); // [B, H, S, D]
        if (G > 1) q = b.reshape(q, [0, s.kvHeads, -1, s.headDim]); // [B, KV, G·S, D]
        // K·qᵀ, then transposed: MatMul streams the cache's rows as they are stored, where q·Kᵀ would repack
        // (transpose) the whole cache on every step; only the small [C, G·S] result is transposed.
        const kq = b.matmul(cacheK, b.transpose(q, [0, 1, 3, 2])); // [B, KV, C, G·S]
        const sPast = b.add(b.transpose(kq, [0, 1, 3, 2]), pastBias); // [B, KV, G·S, C]
        const sNew = b.add(b.matmul(q, b.transpose(key, [0, 1, 3, 2])), freshBias); // [B, KV, G·S, S]
        const probs = b.softmax(b.concat([sPast, sNew], -1), -1);
        const [pPast, pNew] = b.opN("Split", [probs, splitSizes], 2, { axis: -1 }) as [Value, Value];
        const out = b.add(b.matmul(pPast, cacheV), b.matmul(pNew, value)); // [B, KV, G·S, D]
        return G > 1 ? b.reshape(out, [0, s.heads, -1, s.headDim]) : out;
      };

      return {
        inputIds,
        positionIds,
        attention,
        keptPositions(hidden) {
          // start = seq − keep: keep 0 selects nothing, and the LM head then runs on no rows
          return b.op("Slice", [hidden, b.unsqueeze(b.sub(S, keep), [0]), b.unsqueeze(S, [0]), b.int64s([1])]);
        },
        logits(logits) {
          b.output(logits, "logits", "float32", ["batch", "keep", s.vocabSize]);
        },
      };
    },
  };
}
