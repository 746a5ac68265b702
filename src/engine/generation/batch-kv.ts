/**
 * Where a batch's KV rows live and how a forward pass reaches them. The batch loop decides who runs; a BatchKv
 * keeps the cache in step with its decisions. Two kinds: the engine-owned buffers of the graphs we build (rows in
 * place, nothing regathered) and the Optimum layout's cache tensors (exports: regathered when rows join).
 *
 * Rows are the loop's active sequences in order, [0, rows). At most one prompt is being prefilled at a time; when
 * it is done its sequences join at the end (`settle`). A leaving row's slot takes the last row, in the loop's list
 * and here alike.
 */
import type { DecoderRuntime } from "../runtime/decoder-runtime.ts";
import { OptimumBatchKv } from "./optimum-batch-kv.ts";
import { OwnedBatchKv } from "./owned-batch-kv.ts";
import type { Sequence } from "./sequence.ts";

/** Logits of one pass: [rows × kept × vocab], row-major. */
export interface StepLogits {
  logits: Float32Array;
  vocab: number;
  kept: number;
}

export interface BatchKv {
  /**
   * Runs prompt tokens [start, end) of the prompt being prefilled (start 0: a new prompt), returning the logits of
   * its last `keep` positions: 0 (an intermediate chunk: none needed), 1 (the last chunk), end − start (scored).
   */
  prefill(prompt: readonly number[], start: number, end: number, keep: number): Promise<StepLogits>;
  /** The prompt being prefilled will not join (cancelled, failed, or nothing to generate). */
  releasePrompt(): void;
  /** One step over every row: each feeds its pending token at position kvLen. */
  decode(rows: readonly Sequence[]): Promise<StepLogits>;
  /** Row `row` leaves; the last row moves into its slot. */
  leave(row: number): void;
  /**
   * After rows left: `joining` (sequences of the prompt just prefilled, possibly none) become rows after `active`,
   * sharing its prefill.
   */
  settle(active: readonly Sequence[], joining: readonly Sequence[]): void;
  /** Every row is gone at once (the pass failed); a prompt being prefilled keeps its place. */
  dropRows(): void;
  /** Nothing is left: let go of the memory. */
  clear(): void;
}

export function batchKvFor(graph: DecoderRuntime, contextLength: number): BatchKv {
  return graph.kind === "owned" ? new OwnedBatchKv(graph, contextLength) : new OptimumBatchKv(graph);
}
