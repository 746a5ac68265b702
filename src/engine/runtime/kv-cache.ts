import type * as ort from "onnxruntime-node";
import { allocFloat, floatTensor, kvData } from "./tensor-data.ts";

/** Per-layer key and value tensors [batch, heads, length, head_dim]; rows are left-padded to `length`. */
export interface KvCache {
  batch: number;
  length: number;
  keys: ort.Tensor[];
  values: ort.Tensor[];
}

/** Which row of which cache lands in the new batch. */
export interface RowSource {
  cache: KvCache;
  row: number;
}

/**
 * Builds a batch cache from rows of other caches, left-padding (or trimming leading padding) to `length`.
 * Real tokens are right-aligned in every row, so each (row, head) is one contiguous copy of its last
 * min(old, new) positions. This runs only when the batch changes (a sequence joins or leaves), never per step.
 */
export function gatherRows(rows: RowSource[], length: number, kvHeads: number, headDim: number, type: "float32" | "float16"): KvCache {
  const layers = rows[0]!.cache.keys.length;
  const batch = rows.length;
  const keys: ort.Tensor[] = [];
  const values: ort.Tensor[] = [];
  for (let l = 0; l < layers; l++) {
    for (const kind of ["keys", "values"] as const) {
      const dst = allocFloat(type, batch * kvHeads * length * headDim);
      rows.forEach(({ cache, row }, b) => {
        const src = kvData(cache[kind][l]!);
        const srcLen = cache.length;
        const n = Math.min(srcLen, length);
        for (let h = 0; h < kvHeads; h++) {
          const s = ((row * kvHeads + h) * srcLen + (srcLen - n)) * headDim;
          const d = ((b * kvHeads + h) * length + (length - n)) * headDim;
          dst.set(src.subarray(s, s + n * headDim), d);
        }
      });
      (kind === "keys" ? keys : values).push(floatTensor(type, dst, [batch, kvHeads, length, headDim]));
    }
  }
  return { batch, length, keys, values };
}

/**
 * Removes one row in place: the last row is copied into its slot and every tensor becomes a view of its first
 * batch − 1 rows. Costs one row's copy instead of a new cache; row order changes (the caller mirrors it).
 */
export function dropRow(cache: KvCache, row: number, type: "float32" | "float16"): KvCache {
  const batch = cache.batch - 1;
  const shrink = (t: ort.Tensor): ort.Tensor => {
    const data = kvData(t);
    const rowSize = data.length / cache.batch;
    if (row !== batch) data.copyWithin(row * rowSize, batch * rowSize, (batch + 1) * rowSize);
    return floatTensor(type, data.subarray(0, batch * rowSize), [batch, ...t.dims.slice(1)]);
  };
  return { batch, length: cache.length, keys: cache.keys.map(shrink), values: cache.values.map(shrink) };
}
