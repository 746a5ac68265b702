import { asGenerationError, EngineError } from "../engine-errors.ts";
import type { DecoderRuntime } from "../runtime/decoder-runtime.ts";
import { batchKvFor, type BatchKv, type StepLogits } from "./batch-kv.ts";
import type { GeneratedToken } from "./generation-types.ts";
import { logSoftmax, topK } from "./logprobs.ts";
import { askMasks, settleMasks, type RowMask } from "./row-masks.ts";
import type { Sequence } from "./sequence.ts";
import type { SequenceGroup } from "./sequence-group.ts";

/** No row is constrained: every mask is "any token" (read as `masks[b] ?? null`). */
const NO_MASKS: readonly RowMask[] = [];
const NO_ONE: readonly Sequence[] = [];

export interface BatchLoopOptions {
  graph: DecoderRuntime;
  vocab: number;
  /** The model's context: the KV cache never holds more positions. */
  contextLength: number;
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
 * leave as soon as they finish or their client goes away. Where the KV rows live is the BatchKv's business
 * (engine-owned buffers for built graphs, regathered cache tensors for exports). Constrained rows are asked for
 * their masks before each pass and answer while it runs; a row whose constraint fails ends its request alone.
 */
export class BatchLoop {
  private active: Sequence[] = [];
  private readonly kv: BatchKv;
  private prefilling: SequenceGroup | null = null;
  /** Sequences of the prompt just prefilled, joining at the next regather. */
  private joining: Sequence[] = [];
  private running = false;
  private readonly promptScratch: Float32Array;
  private readonly vocab: number;

  constructor(private readonly opts: BatchLoopOptions) {
    this.vocab = opts.vocab;
    this.kv = batchKvFor(opts.graph, opts.contextLength);
    this.promptScratch = new Float32Array(opts.vocab);
  }

  /** Sequences decoding now, plus those of the prompt being prefilled. */
  get liveSequences(): number {
    return this.active.length + this.joining.length + (this.prefilling?.size ?? 0);
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
        if (!this.prefilling) this.prefilling = this.admit(this.active.length + this.joining.length);
        if (this.prefilling) await this.prefillStep(this.prefilling);
        this.regather();
        if (this.active.length > 0) await this.decodeStep();
        this.regather();
        if (this.active.length === 0 && !this.prefilling && this.joining.length === 0) {
          this.prefilling = this.admit(0);
          if (!this.prefilling) break;
        }
      }
    } finally {
      this.running = false;
      this.kv.clear();
      this.opts.onIdle?.();
    }
  }

  private async prefillStep(g: SequenceGroup): Promise<void> {
    const req = g.request;
    const prompt = req.promptIds;
    if (g.cancelled) {
      g.abandon();
      this.kv.releasePrompt();
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
      const last = end === prompt.length;
      // Logits only where they are read: every position when scoring, the last one to sample from, else none.
      const keep = wantPrompt ? end - start : last && req.maxTokens > 0 ? 1 : 0;
      // The last chunk's logits are sampled: ask the constraints now, so they answer while the pass runs.
      const asked = last && req.maxTokens > 0 ? askMasks(g.sequences) : null;
      const res = await this.kv.prefill(prompt, start, end, keep);
      g.prefilled = end;
      if (wantPrompt) this.scorePrompt(g, res.logits, start, end);
      if (!last) return;
      const masks = asked ? await settleMasks(asked, g.size) : NO_MASKS;
      this.finishPrompt(g, { logits: res.logits, offset: (res.kept - 1) * res.vocab }, masks);
    } catch (err) {
      g.fail(asGenerationError(err));
      this.kv.releasePrompt();
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

  private finishPrompt(g: SequenceGroup, last: { logits: Float32Array; offset: number } | null, masks: readonly RowMask[]): void {
    this.prefilling = null;
    g.carryLogits = null;
    const req = g.request;
    const promptLogprobs: (GeneratedToken | null)[] | null = req.promptLogprobs !== null ? g.promptLogprobs : null;
    g.events.push({ type: "prompt", promptTokens: req.promptIds.length, logprobs: promptLogprobs });
    if (req.maxTokens === 0 || !last || g.cancelled) {
      this.kv.releasePrompt();
      if (g.cancelled) g.abandon();
      else for (const s of g.sequences) s.finish("length");
      return;
    }
    g.sequences.forEach((s, i) => {
      if (stepRow(s, last.logits, last.offset, masks[i] ?? null) && !s.finished) this.joining.push(s);
    });
    if (this.joining.length === 0) this.kv.releasePrompt();
  }

  private async decodeStep(): Promise<void> {
    const rows = this.active;
    const B = rows.length;
    const asked = askMasks(rows);
    let res: StepLogits;
    try {
      res = await this.kv.decode(rows);
    } catch (err) {
      // The pass failed for every row: each request in the batch ends with the error (once per group).
      const error = asGenerationError(err);
      this.active = [];
      this.kv.dropRows();
      const failed = new Set<SequenceGroup["request"]>();
      for (const s of rows) {
        if (failed.has(s.request)) continue;
        failed.add(s.request);
        s.failWith(error); // its group closes all of the request's sequences
      }
      return;
    }
    const masks = asked ? await settleMasks(asked, B) : NO_MASKS;
    const { logits, kept, vocab } = res;
    for (let b = 0; b < B; b++) {
      const s = rows[b]!;
      s.kvLen++;
      if (s.cancelled || s.finished) continue;
      stepRow(s, logits, (b * kept + kept - 1) * vocab, masks[b] ?? null);
    }
  }

  /**
   * Drop finished and abandoned rows (the last row takes a leaving row's slot) and add the prompt's sequences that
   * are still running, which share its prefill.
   */
  private regather(): void {
    for (let row = this.active.length - 1; row >= 0; row--) {
      const s = this.active[row]!;
      if (s.cancelled) s.drop();
      if (!s.finished) continue;
      this.active[row] = this.active[this.active.length - 1]!;
      this.active.pop();
      this.kv.leave(row);
    }
    let joining = NO_ONE;
    if (this.joining.length > 0) {
      joining = this.joining.filter((s) => {
        if (s.cancelled) s.drop();
        return !s.finished;
      });
      this.joining = [];
      if (joining.length === 0) this.kv.releasePrompt();
    }
    this.kv.settle(this.active, joining);
    for (const s of joining) this.active.push(s);
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
