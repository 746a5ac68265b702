/**
 * The batch's KV rows as the Optimum layout keeps them (ONNX exports): per-layer cache tensors that each pass
 * returns whole as `present.*`, rows left-padded to the longest. The prompt being prefilled has a cache of its own;
 * when its sequences join, the batch cache is regathered with them. A leaving row is removed in place (the last row
 * copied into its slot); the cache is also rebuilt when the rows left are so much shorter than it that its leading
 * padding would cost more than the rebuild.
 */
import type { DecoderGraph } from "../runtime/decoder-graph.ts";
import { dropRow, gatherRows, type KvCache, type RowSource } from "../runtime/kv-cache.ts";
import type { BatchKv, StepLogits } from "./batch-kv.ts";
import type { Sequence } from "./sequence.ts";

/** Rebuild the cache once leading padding is more than 1/8 of it (every step copies the whole cache anyway). */
const PADDING_REBUILD_FRACTION = 8;

export class OptimumBatchKv implements BatchKv {
  private cache: KvCache;
  private prompt: KvCache | null = null;

  constructor(private readonly graph: DecoderGraph) {
    this.cache = graph.emptyCache(0);
  }

  async prefill(promptIds: readonly number[], start: number, end: number, keep: number): Promise<StepLogits> {
    const steps = end - start;
    const res = await this.graph.forward({
      tokens: promptIds.slice(start, end),
      mask: new Array(end).fill(1),
      positions: Array.from({ length: steps }, (_, i) => start + i),
      batch: 1,
      steps,
      past: this.prompt ?? this.graph.emptyCache(1),
      lastOnly: keep <= 1,
    });
    this.prompt = res.present;
    return res;
  }

  releasePrompt(): void {
    this.prompt = null;
  }

  async decode(rows: readonly Sequence[]): Promise<StepLogits> {
    const B = rows.length;
    const T = this.cache.length;
    const tokens = new BigInt64Array(B);
    const positions = new BigInt64Array(B);
    // Each row's real tokens are right-aligned in the cache, followed by the new one at T.
    const mask = new BigInt64Array(B * (T + 1));
    rows.forEach((s, b) => {
      tokens[b] = BigInt(s.pending);
      positions[b] = BigInt(s.kvLen);
      mask.fill(1n, b * (T + 1) + T - s.kvLen, (b + 1) * (T + 1));
    });
    const res = await this.graph.forward({ tokens, mask, positions, batch: B, steps: 1, past: this.cache, lastOnly: true });
    this.cache = res.present;
    return res;
  }

  leave(row: number): void {
    this.cache = dropRow(this.cache, row, this.graph.kvType);
  }

  settle(active: readonly Sequence[], joining: readonly Sequence[]): void {
    if (active.length + joining.length === 0) {
      if (this.cache.batch > 0 || this.cache.length > 0) this.cache = this.graph.emptyCache(0);
      return;
    }
    let longest = 0;
    for (const s of active) longest = Math.max(longest, s.kvLen);
    for (const s of joining) longest = Math.max(longest, s.kvLen);
    const padding = this.cache.length - longest;
    if (joining.length === 0 && padding * PADDING_REBUILD_FRACTION <= this.cache.length) return;
    const sources: RowSource[] = active.map((_, row) => ({ cache: this.cache, row }));
    if (joining.length > 0) {
      const prompt = this.prompt;
      if (!prompt) throw new Error("OptimumBatchKv.settle: sequences join without a prefilled prompt");
      for (let j = 0; j < joining.length; j++) sources.push({ cache: prompt, row: 0 });
      this.prompt = null;
    }
    this.cache = gatherRows(sources, longest, this.graph.kvHeads, this.graph.headDim, this.graph.kvType);
  }

  dropRows(): void {
    this.cache = this.graph.emptyCache(0);
  }

  clear(): void {
    this.cache = this.graph.emptyCache(0);
    this.prompt = null;
  }
}
