/**
 * The batch's KV rows in engine-owned buffers (KvBuffers), fed zero-copy to a graph in the owned layout. Rows
 * [0, rows) decode together; the prompt being prefilled has the slot right after them, its first chunk run over an
 * empty cache and later chunks over its own slot. When it is done its slot becomes its first sequence's row and
 * the other sequences (n, best_of) copy it. A leaving row's slot takes the last row (and the prompt's slot moves
 * down with it); the capacity, which attention reads whole, grows in chunks and is fitted back down when the
 * longest row leaves. Nothing is regathered per step.
 */
import { KvBuffers } from "../runtime/kv-buffers.ts";
import { OwnedKvFeeds, type OwnedKvGraph } from "../runtime/owned-kv-graph.ts";
import type { BatchKv, StepLogits } from "./batch-kv.ts";
import type { Sequence } from "./sequence.ts";

/** Positions added to the capacity at a time (docs/perf/attention.md: attention reads at most one chunk unused). */
const CAPACITY_CHUNK = 64;

export class OwnedBatchKv implements BatchKv {
  private kv: KvBuffers | null = null;
  private rows = 0;
  /** The slot of the prompt being prefilled (always `rows`), or null. */
  private promptSlot: number | null = null;
  private tokens = new Int32Array(8);
  private readonly feeds = new OwnedKvFeeds();
  private left = false;

  constructor(
    private readonly graph: OwnedKvGraph,
    private readonly contextLength: number,
  ) {}

  private buffers(): KvBuffers {
    return (this.kv ??= this.graph.newBuffers({ chunk: CAPACITY_CHUNK, maxPositions: this.contextLength }));
  }

  async prefill(prompt: readonly number[], start: number, end: number, keep: number): Promise<StepLogits> {
    const kv = this.buffers();
    if (start === 0) {
      this.promptSlot = this.rows;
      kv.reserve(this.rows + 1, 0);
      kv.clearRow(this.rows);
    } else if (this.promptSlot === null) throw new Error("OwnedBatchKv.prefill: a later chunk with no prompt in progress");
    const steps = end - start;
    return this.graph.forward({ kv, first: this.promptSlot, count: 1, steps, tokens: prompt.slice(start, end), keep, fresh: start === 0 }, this.feeds);
  }

  releasePrompt(): void {
    if (this.promptSlot === null) return;
    this.kv?.clearRow(this.promptSlot);
    this.promptSlot = null;
  }

  async decode(rows: readonly Sequence[]): Promise<StepLogits> {
    const n = rows.length;
    if (n !== this.rows) throw new Error(`OwnedBatchKv.decode: ${n} sequences for ${this.rows} rows`);
    if (this.tokens.length < n) this.tokens = new Int32Array(Math.max(n, 2 * this.tokens.length));
    for (let b = 0; b < n; b++) this.tokens[b] = rows[b]!.pending;
    return this.graph.forward({ kv: this.buffers(), first: 0, count: n, steps: 1, tokens: this.tokens, keep: 1, fresh: false }, this.feeds);
  }

  leave(row: number): void {
    const kv = this.buffers();
    const last = this.rows - 1;
    if (row !== last) kv.moveRow(last, row);
    else kv.clearRow(row);
    this.rows--;
    if (this.promptSlot !== null) {
      kv.moveRow(this.promptSlot, this.rows);
      this.promptSlot = this.rows;
    }
    this.left = true;
  }

  settle(active: readonly Sequence[], joining: readonly Sequence[]): void {
    if (active.length !== this.rows) throw new Error(`OwnedBatchKv.settle: ${active.length} sequences for ${this.rows} rows`);
    const kv = this.kv;
    if (joining.length > 0) {
      const slot = this.promptSlot;
      if (slot === null || !kv) throw new Error("OwnedBatchKv.settle: sequences join without a prefilled prompt");
      kv.reserve(slot + joining.length, 0);
      for (let j = 1; j < joining.length; j++) kv.copyRow(slot, slot + j);
      this.rows += joining.length;
      this.promptSlot = null;
    }
    // Attention reads the whole capacity: once the longest row is gone, shrink it (headroom for the next position).
    if (this.left && kv) kv.fit(1);
    this.left = false;
  }

  dropRows(): void {
    const kv = this.kv;
    if (!kv) return;
    for (let r = 0; r < this.rows; r++) kv.clearRow(r);
    if (this.promptSlot !== null && this.promptSlot !== 0) {
      kv.moveRow(this.promptSlot, 0);
      this.promptSlot = 0;
    }
    this.rows = 0;
  }

  clear(): void {
    this.kv = null;
    this.rows = 0;
    this.promptSlot = null;
    this.left = false;
  }
}
