import { asGenerationError, EngineError } from "../engine-errors.ts";
import type { DecoderGraph } from "../runtime/decoder-graph.ts";
import { dropRow, gatherRows, type KvCache, type RowSource } from "../runtime/kv-cache.ts";
import type { GeneratedToken } from "./generation-types.ts";
import { logSoftmax, topK } from "./logprobs.ts";
import { askMasks, settleMasks, type RowMask } from "./row-masks.ts";
import type { Sequence } from "./sequence.ts";
import type { SequenceGroup } from "./sequence-group.ts";

/** Rebuild the cache once leading padding is more than 1/8 of it (every step copies the whole cache anyway). */
const PADDING_REBUILD_FRACTION = 8;

export interface BatchLoopOptions {
  graph: DecoderGraph;
  vocab: number;
  /** Prompt tokens per prefill pass. */
  prefillChunk: number;
  /** Where the loop gets its next group once the last one has joined, given how many sequences run (none: only what is handed to `take`). */
  admit?: (active: number) => SequenceGroup | null;
  /** The loop stopped: no sequence left and nothing to admit. */
  onIdle?: () => void;
}

/**
 * The generation loop of one batch. Each turn it prefills one chunk of a waiting prompt (if there is one),
 * lets finished prompts' sequences join, and runs ONE batched decode step over every live sequence. Rows
 * leave as soon as they finish or their client goes away; the KV cache is regathered only when membership
 * changes, otherwise each step's present tensors are the next step's past. Constrained rows are asked for
 * their masks before each pass and answer while it runs; a row whose constraint fails ends its request alone.
 */
export class BatchLoop {
  private active: Sequence[] = [];
  private cache: KvCache;
  private prefilling: SequenceGroup | null = null;
  private joiners = new Map<Sequence, RowSource>();
  private running = false;
  private readonly promptScratch: Float32Array;
  private readonly graph: DecoderGraph;
  private readonly vocab: number;

  constructor(private readonly opts: BatchLoopOptions) {
    this.graph = opts.graph;
    this.vocab = opts.vocab;
    this.cache = opts.graph.emptyCache(0);
    this.promptScratch = new Float32Array(opts.vocab);
  }

  /** Sequences decoding now, plus those of the prompt being prefilled. */
  get liveSequences(): number {
    return this.active.length + this.joiners.size + (this.prefilling?.size ?? 0);
  }

  /** No prompt is being prefilled: a group handed over now starts at the next turn. */
  get readyForPrompt(): boolean {
    return this.prefilling === null;
  }

  /** Prefill this group next (only when `readyForPrompt`), and run. */
  take(group: SequenceGroup): void {
    if (this.prefilling) throw new Error("BatchLoop.take: a prompt is already being prefilled");
    this.prefilling = group;
    this.kick();
  }

  /** Start the loop if it is not running; it stops by itself when there is no work. */
  kick(): void {
    if (this.running) return;
    this.running = true;
    void this.run();
  }

  private admit(active: number): SequenceGroup | null {
    return this.opts.admit?.(active) ?? null;
  }

  private async run(): Promise<void> {
    try {
      while (true) {
        if (!this.prefilling) this.prefilling = this.admit(this.active.length + this.joiners.size);
        if (this.prefilling) await this.prefillStep(this.prefilling);
        this.regather();
        if (this.active.length > 0) await this.decodeStep();
        this.regather();
        if (this.active.length === 0 && !this.prefilling && this.joiners.size === 0) {
          this.prefilling = this.admit(0);
          if (!this.prefilling) break;
        }
      }
    } finally {
      this.running = false;
      this.cache = this.graph.emptyCache(0);
      this.opts.onIdle?.();
    }
  }

  private async prefillStep(g: SequenceGroup): Promise<void> {
    const req = g.request;
    const prompt = req.promptIds;
    if (g.cancelled) {
      g.abandon();
      this.prefilling = null;
      return;
    }
    const wantPrompt = req.promptLogprobs !== null;
    if (req.maxTokens === 0 && !wantPrompt) {
      this.finishPrompt(g, null, []);
      return;
    }
    try {
      const start = g.prefilled;
      const end = Math.min(prompt.length, start + this.opts.prefillChunk);
      const steps = end - start;
      const past = g.cache ?? this.graph.emptyCache(1);
      // The last chunk's logits are sampled: ask the constraints now, so they answer while the pass runs.
      const asked = end === prompt.length && req.maxTokens > 0 ? askMasks(g.sequences) : null;
      const res = await this.graph.forward({
        tokens: prompt.slice(start, end),
        mask: new Array(end).fill(1),
        positions: Array.from({ length: steps }, (_, i) => start + i),
        batch: 1,
        steps,
        past,
        lastOnly: !wantPrompt,
      });
      g.cache = res.present;
      g.prefilled = end;
      if (wantPrompt) this.scorePrompt(g, res.logits, start, end);
      if (end < prompt.length) return;
      const masks = await settleMasks(asked, g.size);
      const lastOffset = (res.kept - 1) * res.vocab;
      this.finishPrompt(g, { logits: res.logits, offset: lastOffset }, masks);
    } catch (err) {
      g.fail(asGenerationError(err));
      this.prefilling = null;
    }
  }

  /** Prompt-token logprobs: token i is scored by the logits at position i-1 (the first has none). */
  private scorePrompt(g: SequenceGroup, logits: Float32Array, start: number, end: number): void {
    const prompt = g.request.promptIds;
    const k = g.request.promptLogprobs ?? 0;
    for (let i = start; i < end; i++) {
      if (i === 0) {
        g.promptLogprobs.push(null);
        continue;
      }
      const row = i - 1 >= start ? logits.subarray((i - 1 - start) * this.vocab, (i - start) * this.vocab) : g.carryLogits!;
      const lp = logSoftmax(row, 0, this.vocab, this.promptScratch);
      g.promptLogprobs.push({ id: prompt[i]!, logprob: lp[prompt[i]!]!, top: topK(lp, k) });
    }
    g.carryLogits = logits.slice((end - 1 - start) * this.vocab, (end - start) * this.vocab);
  }

  private finishPrompt(g: SequenceGroup, last: { logits: Float32Array; offset: number } | null, masks: RowMask[]): void {
    this.prefilling = null;
    const req = g.request;
    const promptLogprobs: (GeneratedToken | null)[] | null = req.promptLogprobs !== null ? g.promptLogprobs : null;
    g.events.push({ type: "prompt", promptTokens: req.promptIds.length, logprobs: promptLogprobs });
    if (req.maxTokens === 0 || !last || g.cancelled) {
      if (g.cancelled) g.abandon();
      else for (const s of g.sequences) s.finish("length");
      return;
    }
    g.sequences.forEach((s, i) => {
      if (!stepRow(s, last.logits, last.offset, masks[i] ?? null)) return;
      if (!s.finished) this.joiners.set(s, { cache: g.cache!, row: 0 });
    });
    g.cache = null;
    g.carryLogits = null;
  }

  private async decodeStep(): Promise<void> {
    const rows = this.active;
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
    const asked = askMasks(rows);
    let res: Awaited<ReturnType<DecoderGraph["forward"]>>;
    try {
      res = await this.graph.forward({ tokens, mask, positions, batch: B, steps: 1, past: this.cache, lastOnly: true });
    } catch (err) {
      // The pass failed for every row: each request in the batch ends with the error (once per group).
      const error = asGenerationError(err);
      this.active = [];
      this.cache = this.graph.emptyCache(0);
      const failed = new Set<SequenceGroup["request"]>();
      for (const s of rows) {
        if (failed.has(s.request)) continue;
        failed.add(s.request);
        s.failWith(error); // its group closes all of the request's sequences
      }
      return;
    }
    this.cache = res.present;
    const masks = await settleMasks(asked, B);
    rows.forEach((s, b) => {
      s.kvLen++;
      if (s.cancelled || s.finished) return;
      stepRow(s, res.logits, (b * res.kept + res.kept - 1) * res.vocab, masks[b] ?? null);
    });
  }

  /**
   * Drop finished and abandoned rows and add joiners. A leaving row is removed in place (the last row moves
   * into its slot: one row copied, nothing allocated); the cache is rebuilt only when rows join, or when the
   * rows left are so much shorter than the cache that its leading padding would cost more than the rebuild.
   */
  private regather(): void {
    for (let row = this.active.length - 1; row >= 0; row--) {
      const s = this.active[row]!;
      if (s.cancelled) s.drop();
      if (!s.finished) continue;
      this.active[row] = this.active[this.active.length - 1]!;
      this.active.pop();
      this.cache = dropRow(this.cache, row, this.graph.kvType);
    }
    const joining: [Sequence, RowSource][] = [];
    for (const [s, src] of this.joiners) {
      if (s.cancelled) s.drop();
      if (!s.finished) joining.push([s, src]);
    }
    this.joiners.clear();
    if (this.active.length + joining.length === 0) {
      if (this.cache.batch > 0 || this.cache.length > 0) this.cache = this.graph.emptyCache(0);
      return;
    }
    let longest = 0;
    for (const s of this.active) longest = Math.max(longest, s.kvLen);
    for (const [s] of joining) longest = Math.max(longest, s.kvLen);
    const padding = this.cache.length - longest;
    if (joining.length === 0 && padding * PADDING_REBUILD_FRACTION <= this.cache.length) return;
    const sources: RowSource[] = this.active.map((_, row) => ({ cache: this.cache, row }));
    for (const [s, src] of joining) {
      this.active.push(s);
      sources.push(src);
    }
    this.cache = gatherRows(sources, longest, this.graph.kvHeads, this.graph.headDim, this.graph.kvType);
  }
}

/**
 * One row's token from its logits. A failure that belongs to this row alone (its constraint threw or allowed
 * nothing) ends its request and leaves the rest of the batch running. False when the row failed.
 */
function stepRow(s: Sequence, logits: Float32Array, offset: number, mask: RowMask): boolean {
  if (s.finished) return false;
  try {
    if (mask instanceof EngineError) throw mask;
    s.step(logits, offset, mask);
    return true;
  } catch (err) {
    s.failWith(asGenerationError(err));
    return false;
  }
}
