import type { TokenConstraint } from "../generation/token-constraint.ts";
import { GrammarError } from "./grammar-error.ts";
import type { FromWorker, ToWorker } from "./grammar-protocol.ts";
import { specKey, type GrammarSpec } from "./grammar-spec.ts";
import type { GrammarVocabulary } from "./grammar-vocabulary.ts";
import { grammarWorkerUrl } from "./grammar-worker-url.ts";

/** A grammar compiled in the engine: pass it to `constraint()` once per sequence. */
export interface PreparedGrammar {
  readonly key: string;
  readonly spec: GrammarSpec;
}

export interface GrammarEngineOptions {
  /** A compile running longer than this is abandoned (worker replaced) and its request refused. */
  compileTimeoutMs?: number;
  /** Called when the worker is replaced, with why (for the log). */
  onRestart?: (reason: string) => void;
}

interface Sequence {
  key: string;
  spec: GrammarSpec;
  accepted: number[];
  /** How many of `accepted` the current worker has applied. */
  sent: number;
  failed: GrammarError | null;
  closed: boolean;
  crashes: number;
  /** Opened in the current worker: its mask requests may be sent (the worker answers in order). */
  opened: boolean;
}

type Pending =
  | { kind: "compile"; id: number; key: string; spec: GrammarSpec; resolve: () => void; reject: (e: GrammarError) => void; timer: ReturnType<typeof setTimeout> | null }
  | { kind: "open"; seq: number }
  | { kind: "step"; id: number; entries: { seq: number; resolve: (m: Uint32Array) => void; reject: (e: GrammarError) => void }[] };

/**
 * The main-thread face of the grammar engine for one model's vocabulary. The engine itself runs in a Bun Worker
 * (grammar-worker.ts), so compiles never block the HTTP event loop, and a WASM abort only costs a worker: it is
 * terminated, a fresh one started, and every live sequence's grammar recompiled and its accepted tokens replayed.
 * Mask requests of one batch step are sent as one message; masks come back as transferred Uint32Arrays.
 */
export class GrammarEngine {
  private worker: Worker | null = null;
  private readonly compiledKeys = new Set<string>();
  private readonly compiling = new Map<string, Promise<void>>();
  private readonly sequences = new Map<number, Sequence>();
  /** Reply-expecting messages in the order the worker answers them; the head is what it works on. */
  private outstanding: Pending[] = [];
  private queued: { seq: number; resolve: (m: Uint32Array) => void; reject: (e: GrammarError) => void }[] = [];
  /** Mask requests of sequences not yet (re)opened in the current worker. */
  private parked: { seq: number; resolve: (m: Uint32Array) => void; reject: (e: GrammarError) => void }[] = [];
  private closing: number[] = [];
  private flushScheduled = false;
  private nextId = 1;
  private recentRestarts: number[] = [];
  private nextSeq = 1;
  private readonly timeoutMs: number;
  /** Counters for tests and metrics: worker replacements, and step messages (one per batch step). */
  readonly stats = { restarts: 0, stepMessages: 0, compiles: 0 };

  constructor(
    private readonly vocab: GrammarVocabulary,
    private readonly options: GrammarEngineOptions = {},
  ) {
    this.timeoutMs = options.compileTimeoutMs ?? 20_000;
  }

  /** Compiles (or finds cached) the grammar for `spec`; refuses with a GrammarError when the engine cannot. */
  prepare(spec: GrammarSpec): Promise<PreparedGrammar> {
    const key = specKey(spec);
    if (this.compiledKeys.has(key)) return Promise.resolve({ key, spec });
    let p = this.compiling.get(key);
    if (!p) {
      p = this.compile(key, spec).finally(() => this.compiling.delete(key));
      this.compiling.set(key, p);
    }
    return p.then(() => ({ key, spec }));
  }

  /** A fresh per-sequence constraint over a prepared grammar. */
  constraint(grammar: PreparedGrammar): TokenConstraint {
    const seq = this.nextSeq++;
    this.sequences.set(seq, { key: grammar.key, spec: grammar.spec, accepted: [], sent: 0, failed: null, closed: false, crashes: 0, opened: false });
    this.ensureCompiledThenOpen(seq);
    return {
      nextMask: () => this.requestMask(seq),
      accept: (id: number) => {
        const s = this.sequences.get(seq);
        if (s && !s.closed) s.accepted.push(id);
      },
      dispose: () => this.close(seq),
    };
  }

  /** Live constrained sequences (for tests and metrics). */
  get liveSequences(): number {
    return this.sequences.size;
  }

  /** Stops the worker; outstanding requests fail. */
  shutdown(): void {
    this.worker?.terminate();
    this.worker = null;
    const err = new GrammarError("engine_failed", "the grammar engine was shut down.");
    for (const p of this.outstanding) this.failPending(p, err);
    for (const q of [...this.queued, ...this.parked]) q.reject(err);
    this.outstanding = [];
    this.queued = [];
    this.parked = [];
    this.closing = [];
    this.sequences.clear();
    this.compiledKeys.clear();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(grammarWorkerUrl());
    worker.onmessage = (ev: MessageEvent<FromWorker>) => {
      if (worker === this.worker) this.onMessage(ev.data);
    };
    worker.onerror = (ev) => {
      if (worker === this.worker) this.restart(`worker error: ${ev.message}`);
    };
    this.worker = worker;
    this.post({ type: "init", vocab: this.vocab });
    return worker;
  }

  private post(msg: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.start().postMessage(msg, transfer);
  }

  private compile(key: string, spec: GrammarSpec): Promise<void> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const pending: Pending = { kind: "compile", id, key, spec, resolve, reject, timer: null };
      pending.timer = setTimeout(() => this.onCompileTimeout(pending), this.timeoutMs);
      this.outstanding.push(pending);
      this.stats.compiles++;
      this.post({ type: "compile", id, key, spec });
    });
  }

  private ensureCompiledThenOpen(seq: number): void {
    const s = this.sequences.get(seq)!;
    if (!this.compiledKeys.has(s.key)) {
      // Only after a restart: the grammar was compiled in the previous worker.
      this.prepare(s.spec).then(
        () => this.open(seq),
        (err: GrammarError) => this.fail(seq, err),
      );
      return;
    }
    this.open(seq);
  }

  private open(seq: number): void {
    const s = this.sequences.get(seq);
    if (!s || s.closed) return;
    s.sent = s.accepted.length;
    s.opened = true;
    this.outstanding.push({ kind: "open", seq });
    this.post({ type: "open", seq, key: s.key, replay: s.accepted.slice() });
    const waiting = this.parked.filter((e) => e.seq === seq);
    if (waiting.length > 0) {
      this.parked = this.parked.filter((e) => e.seq !== seq);
      this.queued.push(...waiting);
      this.scheduleFlush();
    }
  }

  private requestMask(seq: number): Promise<Uint32Array> {
    const s = this.sequences.get(seq);
    if (!s || s.closed) return Promise.reject(new GrammarError("engine_failed", "the constraint was disposed."));
    if (s.failed) return Promise.reject(s.failed);
    return new Promise((resolve, reject) => {
      this.queued.push({ seq, resolve, reject });
      this.scheduleFlush();
    });
  }

  private close(seq: number): void {
    const s = this.sequences.get(seq);
    if (!s || s.closed) return;
    s.closed = true;
    this.sequences.delete(seq);
    this.parked = this.parked.filter((e) => e.seq !== seq);
    this.closing.push(seq);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Every constrained row of a batch step asks in the same synchronous pass: one message carries them all.
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.closing.length > 0) {
      // With no worker there is nothing to free: starting one only to close sequences would outlive a shutdown.
      if (this.worker) this.post({ type: "close", seqs: this.closing });
      this.closing = [];
    }
    const ready = this.queued.filter((e) => this.sequences.get(e.seq)?.opened);
    this.parked.push(...this.queued.filter((e) => !this.sequences.get(e.seq)?.opened));
    this.queued = [];
    if (ready.length === 0) return;
    const entries = ready;
    const requests = entries.map(({ seq }) => {
      const s = this.sequences.get(seq)!;
      const accept = s.accepted.slice(s.sent);
      s.sent = s.accepted.length;
      return { seq, accept };
    });
    const id = this.nextId++;
    this.outstanding.push({ kind: "step", id, entries });
    this.stats.stepMessages++;
    this.post({ type: "step", id, requests });
  }

  private onMessage(msg: FromWorker): void {
    if (msg.type === "ready") return;
    if (msg.type === "poisoned") return this.restart(`the grammar engine aborted: ${msg.message}`);
    const head = this.outstanding.shift();
    if (!head) return;
    if (msg.type === "compiled" && head.kind === "compile") {
      if (head.timer) clearTimeout(head.timer);
      this.compiledKeys.add(head.key);
      head.resolve();
    } else if (msg.type === "compile_failed" && head.kind === "compile") {
      if (head.timer) clearTimeout(head.timer);
      head.reject(new GrammarError("engine_failed", `the grammar engine could not compile this grammar: ${msg.message}`));
    } else if (msg.type === "opened" && head.kind === "open") {
      if (msg.error) this.fail(head.seq, new GrammarError("engine_failed", `the grammar engine could not replay this sequence: ${msg.error}`));
    } else if (msg.type === "masks" && head.kind === "step") {
      const bySeq = new Map(msg.results.map((r) => [r.seq, r]));
      for (const e of head.entries) {
        const r = bySeq.get(e.seq);
        if (r?.mask) e.resolve(r.mask);
        else {
          const err = new GrammarError("engine_failed", `grammar: ${r?.error ?? "no answer"}`);
          this.fail(e.seq, err);
          e.reject(err);
        }
      }
    }
  }

  private fail(seq: number, err: GrammarError): void {
    const s = this.sequences.get(seq);
    if (s) s.failed = err;
    const waiting = this.parked.filter((e) => e.seq === seq);
    this.parked = this.parked.filter((e) => e.seq !== seq);
    for (const e of waiting) e.reject(err);
  }

  private failPending(p: Pending, err: GrammarError): void {
    if (p.kind === "compile") {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    } else if (p.kind === "step") for (const e of p.entries) e.reject(err);
  }

  private onCompileTimeout(p: Extract<Pending, { kind: "compile" }>): void {
    if (!this.outstanding.includes(p)) return;
    const culprit = this.outstanding[0] === p;
    if (!culprit) {
      // Still queued behind slower work: wait for its turn rather than blame it.
      p.timer = setTimeout(() => this.onCompileTimeout(p), this.timeoutMs);
      return;
    }
    this.restart(`a grammar compile ran past ${this.timeoutMs} ms`, new GrammarError("schema_too_complex", `this schema took longer than ${Math.round(this.timeoutMs / 1000)} s to compile; simplify it.`));
  }

  /**
   * Throws the worker away and starts a fresh one: the message it was working on is blamed (refused if a compile,
   * its sequences failed if they crash it twice), everything else is replayed in order.
   */
  private restart(reason: string, culpritError?: GrammarError): void {
    this.stats.restarts++;
    // A worker that cannot even start (a broken install) must not be restarted forever.
    const now = Date.now();
    this.recentRestarts = this.recentRestarts.filter((t) => now - t < 10_000);
    this.recentRestarts.push(now);
    if (this.recentRestarts.length > 5) {
      this.options.onRestart?.(`${reason}; giving up after 5 restarts in 10 s`);
      this.shutdown();
      return;
    }
    this.options.onRestart?.(reason);
    this.worker?.terminate();
    this.worker = null;
    this.compiledKeys.clear();
    for (const s of this.sequences.values()) s.opened = false;
    const outstanding = this.outstanding;
    this.outstanding = [];
    const [head, ...rest] = outstanding;
    const err = culpritError ?? new GrammarError("engine_failed", `the grammar engine failed on this request (${reason}).`);
    const retrySteps: { seq: number; resolve: (m: Uint32Array) => void; reject: (e: GrammarError) => void }[] = [];
    const retryCompiles: Extract<Pending, { kind: "compile" }>[] = [];
    const take = (p: Pending, blamed: boolean) => {
      if (p.kind === "compile") {
        if (blamed) this.failPending(p, err);
        else retryCompiles.push(p);
      } else if (p.kind === "open") {
        if (blamed) this.fail(p.seq, err);
      } else {
        for (const e of p.entries) {
          const s = this.sequences.get(e.seq);
          if (s && blamed && ++s.crashes >= 2) {
            this.fail(e.seq, err);
            e.reject(err);
          } else retrySteps.push(e);
        }
      }
    };
    if (head) take(head, true);
    for (const p of rest) take(p, false);
    // Pending compiles go again (their callers are still waiting); live sequences get their grammar back.
    for (const p of retryCompiles) {
      if (p.timer) clearTimeout(p.timer);
      p.timer = setTimeout(() => this.onCompileTimeout(p), this.timeoutMs);
      this.outstanding.push(p);
      this.post({ type: "compile", id: p.id, key: p.key, spec: p.spec });
    }
    const byKey = new Map<string, number[]>();
    for (const [seq, s] of this.sequences) if (!s.closed && !s.failed) byKey.set(s.key, [...(byKey.get(s.key) ?? []), seq]);
    for (const e of retrySteps) {
      const s = this.sequences.get(e.seq);
      if (!s || s.failed) e.reject(s?.failed ?? new GrammarError("engine_failed", "the constraint was disposed."));
    }
    for (const seqs of byKey.values()) {
      const spec = this.sequences.get(seqs[0]!)!.spec;
      const waiting = retrySteps.filter((e) => seqs.includes(e.seq));
      this.prepare(spec).then(
        () => {
          // Opens first, then the mask requests: the worker answers in order.
          this.parked.push(...waiting.filter((e) => !this.sequences.get(e.seq)?.failed));
          seqs.forEach((seq) => this.open(seq));
        },
        (e: GrammarError) => {
          seqs.forEach((seq) => this.fail(seq, e));
          waiting.forEach((w) => w.reject(e));
        },
      );
    }
  }
}
