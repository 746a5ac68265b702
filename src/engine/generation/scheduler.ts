import { QueueFull, TooManySequences } from "../engine-errors.ts";
import type { DecoderRuntime } from "../runtime/decoder-runtime.ts";
import { BatchLoop } from "./batch-loop.ts";
import { EventQueue } from "./event-queue.ts";
import { sequenceCount, type GenerationEvent, type GenerationRequest } from "./generation-types.ts";
import { SequenceGroup } from "./sequence-group.ts";
import type { SequenceModel } from "./sequence.ts";

export interface SchedulerOptions {
  /** Most sequences decoded at once, in either mode. */
  maxBatchSize: number;
  /** Most requests waiting for room; 0: a request that cannot start at once is refused. */
  maxQueue: number;
  prefillChunk: number;
  /** continuous: one batched loop for all requests; naive: one loop per request (the seed-style baseline). */
  mode: "continuous" | "naive";
}

export interface SchedulerModel extends SequenceModel {
  graph: DecoderRuntime;
}

/**
 * Per-model admission. A request starts at once when nothing waits before it and its sequences fit under
 * MAX_BATCH_SIZE beside those running (continuous: and the loop is not busy prefilling another prompt);
 * otherwise it waits in a bounded queue and starts as rows free up. A full queue refuses with QueueFull
 * (MAX_QUEUE=0: never queued); a request that could never fit refuses with TooManySequences; a waiting request
 * whose client leaves is dropped from the queue.
 */
export class Scheduler {
  /** Groups waiting for room, oldest first. */
  private readonly queue: SequenceGroup[] = [];
  /** naive mode: one loop per running group. */
  private readonly loops = new Set<BatchLoop>();
  private readonly shared: BatchLoop | null;
  /** The most sequences this model decodes together. */
  readonly maxSequences: number;
  /** Where that limit comes from, for messages. */
  readonly limitSource: string;

  constructor(
    private readonly model: SchedulerModel,
    private readonly opts: SchedulerOptions,
  ) {
    // Without position_ids a left-padded row would get wrong positions: such graphs run one sequence at a time.
    this.maxSequences = model.graph.hasPositionIds ? opts.maxBatchSize : 1;
    this.limitSource = model.graph.hasPositionIds
      ? `MAX_BATCH_SIZE=${opts.maxBatchSize}`
      : "its graph has no position_ids input, so it decodes one sequence at a time";
    this.shared = opts.mode === "continuous"
      ? new BatchLoop({ ...this.loopOptions(), admit: (active) => this.next(active) })
      : null;
  }

  submit(request: GenerationRequest): EventQueue<GenerationEvent> {
    const size = sequenceCount(request);
    if (size > this.maxSequences) throw new TooManySequences(size, this.maxSequences, this.limitSource);
    this.dropAbandoned();
    const startsNow = this.queue.length === 0 && this.hasRoomFor(size);
    if (!startsNow && this.queue.length >= this.opts.maxQueue) throw new QueueFull(this.queue.length, this.opts.maxQueue);
    const events = new EventQueue<GenerationEvent>();
    const group = new SequenceGroup(request, this.model, events);
    if (startsNow) this.start(group);
    else {
      this.queue.push(group);
      request.signal.addEventListener("abort", () => this.dropAbandoned(), { once: true });
    }
    return events;
  }

  /** Sequences in a batch or being prefilled, and requests waiting for room. */
  stats(): { activeSequences: number; queued: number } {
    return { activeSequences: this.liveSequences(), queued: this.queue.length };
  }

  private liveSequences(): number {
    let live = this.shared?.liveSequences ?? 0;
    for (const l of this.loops) live += l.liveSequences;
    return live;
  }

  private hasRoomFor(size: number): boolean {
    if (this.shared && !this.shared.readyForPrompt) return false;
    return this.liveSequences() + size <= this.maxSequences;
  }

  private start(group: SequenceGroup): void {
    if (this.shared) {
      this.shared.take(group);
      return;
    }
    const loop: BatchLoop = new BatchLoop({
      ...this.loopOptions(),
      onIdle: () => {
        this.loops.delete(loop);
        this.startWaiting();
      },
    });
    this.loops.add(loop);
    loop.take(group);
  }

  private loopOptions() {
    const m = this.model;
    return { graph: m.graph, vocab: m.vocab, contextLength: m.contextLength, prefillChunk: this.opts.prefillChunk };
  }

  /** naive mode: start queued groups while they fit. */
  private startWaiting(): void {
    this.dropAbandoned();
    while (this.queue.length > 0 && this.liveSequences() + this.queue[0]!.size <= this.maxSequences) this.start(this.queue.shift()!);
  }

  /** continuous mode: the shared loop's next prompt, when its sequences fit beside the `active` ones. */
  private next(active: number): SequenceGroup | null {
    this.dropAbandoned();
    const head = this.queue[0];
    if (!head || active + head.size > this.maxSequences) return null;
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
