import { QueueFull } from "../engine-errors.ts";
import type { DecoderGraph } from "../runtime/decoder-graph.ts";
import type { TextTokenizer } from "../tokenizer/text-tokenizer.ts";
import { BatchLoop } from "./batch-loop.ts";
import { EventQueue } from "./event-queue.ts";
import type { GenerationEvent, GenerationRequest } from "./generation-types.ts";
import { SequenceGroup } from "./sequence-group.ts";

export interface SchedulerOptions {
  maxBatchSize: number;
  maxQueue: number;
  prefillChunk: number;
  /** continuous: one batched loop for all requests; naive: one loop per request (the seed-style baseline). */
  mode: "continuous" | "naive";
}

export interface SchedulerModel {
  graph: DecoderGraph;
  tokenizer: TextTokenizer;
  vocab: number;
  contextLength: number;
  stopTokenIds: ReadonlySet<number>;
}

/**
 * Per-model admission: requests wait in a bounded queue and join the running batch as slots free up. A full
 * queue refuses with QueueFull (a retry hint included); a waiting request whose client leaves is dropped.
 */
export class Scheduler {
  private readonly queue: SequenceGroup[] = [];
  private readonly loops = new Set<BatchLoop>();
  private readonly shared: BatchLoop | null;
  private readonly maxBatch: number;

  constructor(
    private readonly model: SchedulerModel,
    private readonly opts: SchedulerOptions,
  ) {
    // Without position_ids a left-padded row would get wrong positions: such graphs run one sequence at a time.
    this.maxBatch = model.graph.hasPositionIds ? opts.maxBatchSize : 1;
    this.shared = opts.mode === "continuous" ? new BatchLoop(model.graph, model.vocab, opts.prefillChunk, (active) => this.next(active)) : null;
  }

  submit(request: GenerationRequest): EventQueue<GenerationEvent> {
    this.dropAbandoned();
    const waiting = this.opts.mode === "continuous" ? this.queue.length : Math.max(0, this.loops.size - this.opts.maxBatchSize);
    if (waiting >= this.opts.maxQueue) {
      throw new QueueFull(this.queue.length, this.opts.maxQueue);
    }
    const events = new EventQueue<GenerationEvent>();
    const group = new SequenceGroup(request, this.model, events);
    if (this.shared) {
      this.queue.push(group);
      request.signal.addEventListener("abort", () => this.dropAbandoned(), { once: true });
      this.shared.kick();
    } else {
      let taken = false;
      const loop = new BatchLoop(
        this.model.graph,
        this.model.vocab,
        this.opts.prefillChunk,
        () => (taken ? null : ((taken = true), group)),
        () => this.loops.delete(loop),
      );
      this.loops.add(loop);
      loop.kick();
    }
    return events;
  }

  /** Sequences in a batch or being prefilled, and requests waiting for a slot. */
  stats(): { activeSequences: number; queued: number } {
    let active = this.shared?.liveSequences ?? 0;
    for (const l of this.loops) active += l.liveSequences;
    return { activeSequences: active, queued: this.queue.length };
  }

  private next(active: number): SequenceGroup | null {
    this.dropAbandoned();
    const head = this.queue[0];
    if (!head) return null;
    if (active > 0 && active + head.request.n > this.maxBatch) return null;
    return this.queue.shift()!;
  }

  private dropAbandoned(): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const g = this.queue[i]!;
      if (g.cancelled) {
        this.queue.splice(i, 1);
        g.abandon();
      }
    }
  }
}
