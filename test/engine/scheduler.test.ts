/**
 * The scheduler and batch loop driven directly on real graphs (an export and a built checkpoint), every pass recorded:
 * what the HTTP tests can only see from outside (a cancelled row is gone after one step, n shares a prefill,
 * long prompts are chunked, the queue refuses with QueueFull) is checked here pass by pass.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { QueueFull, TooManySequences } from "../../src/engine/engine-errors.ts";
import { toApiError } from "../../src/http/shared/error-mapping.ts";
import type { GenerationEvent } from "../../src/engine/generation/generation-types.ts";
import { collectTokens, interceptForward, loadTestTextModel, promptOf, request, watchForwards } from "./engine-kit.ts";

// Bun 1.4 applies the preload's setDefaultTimeout to the first test file only; these start servers and models.
setDefaultTimeout(60_000);

/** Each test runs on an ONNX export (Optimum layout) and on a built checkpoint (engine-owned KV rows). */
describe.each(["test-gpt2", "ckpt-gpt2"])("%s", (MODEL) => {
  describe("cancellation", () => {
    test("a cancelled sequence takes part in at most the one step already running, then its slot goes to the queue", async () => {
      const model = await loadTestTextModel(MODEL, ["--max-batch-size", "1", "--max-queue", "4"]);
      const calls = watchForwards(model.scheduler["model"].graph);
      const longPrompt = promptOf(60); // decode positions ≥ 60 belong to A; B's stay far below
      const a = new AbortController();
      const eventsA = model.scheduler.submit(request(longPrompt, { maxTokens: 900, signal: a.signal }));
      const eventsB = model.scheduler.submit(request(promptOf(3, 1), { maxTokens: 8 }));
      expect(model.scheduler.stats()).toEqual({ activeSequences: 1, queued: 1 });

      let callsAtAbort = -1;
      let deltas = 0;
      for await (const e of eventsA) {
        if (e.type === "delta" && ++deltas === 5) {
          callsAtAbort = calls.length;
          a.abort();
        }
      }
      const b = await collectTokens(eventsB);
      expect(b.tokens[0]).toHaveLength(8);
      const aAfterAbort = calls.slice(callsAtAbort).filter((c) => c.steps === 1 && c.positions[0]! >= longPrompt.length);
      expect(aAfterAbort.length).toBeLessThanOrEqual(1);
      // B's prefill is the next pass after A's last one
      const bPrefill = calls.findIndex((c, i) => i >= callsAtAbort && c.steps === 3);
      expect(bPrefill).toBeLessThanOrEqual(callsAtAbort + 1);
      expect(model.scheduler.stats()).toEqual({ activeSequences: 0, queued: 0 });
    });

    test("a queued request whose client leaves is dropped from the queue at once", async () => {
      const model = await loadTestTextModel(MODEL, ["--max-batch-size", "1", "--max-queue", "4"]);
      const running = new AbortController();
      const queued = new AbortController();
      const eventsA = model.scheduler.submit(request(promptOf(5), { maxTokens: 900, signal: running.signal }));
      const eventsB = model.scheduler.submit(request(promptOf(5, 1), { maxTokens: 900, signal: queued.signal }));
      expect(model.scheduler.stats().queued).toBe(1);
      queued.abort();
      expect(model.scheduler.stats().queued).toBe(0);
      expect(await collectTokens(eventsB)).toEqual({ tokens: [], reasons: [] }); // ends silently, never started
      running.abort();
      await collectTokens(eventsA);
      expect(model.scheduler.stats()).toEqual({ activeSequences: 0, queued: 0 });
    });

    test("fifty requests cancelled mid-flight leave no sequence and no queue behind", async () => {
      const model = await loadTestTextModel(MODEL);
      const aborts = Array.from({ length: 50 }, () => new AbortController());
      const streams = aborts.map((a, i) => model.scheduler.submit(request(promptOf(4 + (i % 7), i), { maxTokens: 500, signal: a.signal })));
      const firstDelta = new Promise<void>((resolve) => {
        void (async () => {
          for await (const e of streams[0]!) if (e.type === "delta") return resolve();
        })();
      });
      await firstDelta;
      expect(model.scheduler.stats().activeSequences).toBeGreaterThan(0);
      for (const a of aborts) a.abort();
      await Promise.all(streams.slice(1).map((s) => collectTokens(s)));
      for (let i = 0; i < 100 && model.scheduler.stats().activeSequences > 0; i++) await Bun.sleep(10);
      expect(model.scheduler.stats()).toEqual({ activeSequences: 0, queued: 0 });
    });
  });

  describe("admission", () => {
    test("a full queue refuses with QueueFull, which a client sees as 429 rate_limit_exceeded with Retry-After", async () => {
      const model = await loadTestTextModel(MODEL, ["--max-batch-size", "1", "--max-queue", "1"]);
      const abort = new AbortController();
      const first = model.scheduler.submit(request(promptOf(4), { maxTokens: 500, signal: abort.signal }));
      const second = model.scheduler.submit(request(promptOf(4, 1), { maxTokens: 500, signal: abort.signal }));
      let refused: unknown = null;
      try {
        model.scheduler.submit(request(promptOf(4, 2), { signal: abort.signal }));
      } catch (err) {
        refused = err;
      }
      expect(refused).toBeInstanceOf(QueueFull);
      expect(refused).toMatchObject({ waiting: 1, maxQueue: 1 });
      expect((refused as QueueFull).retryAfterSeconds).toBeGreaterThan(0);
      // what a client sees
      const e = toApiError(refused);
      expect(e.status).toBe(429);
      expect(e.code).toBe("rate_limit_exceeded");
      expect(Number(e.headers["Retry-After"])).toBeGreaterThan(0);
      abort.abort();
      await Promise.all([collectTokens(first), collectTokens(second)]);
    });

    test("requests beyond MAX_BATCH_SIZE wait, then join as rows leave; the batch never exceeds the limit", async () => {
      const model = await loadTestTextModel(MODEL, ["--max-batch-size", "3"]);
      const calls = watchForwards(model.scheduler["model"].graph);
      const runs = Array.from({ length: 7 }, (_, i) => collectTokens(model.scheduler.submit(request(promptOf(3 + i, i), { maxTokens: 4 + 3 * i }))));
      const results = await Promise.all(runs);
      results.forEach((r, i) => expect(r.tokens[0]).toHaveLength(4 + 3 * i));
      expect(Math.max(...calls.map((c) => c.batch))).toBe(3);
      expect(calls.some((c) => c.steps === 1 && c.batch === 3)).toBe(true);
    });
  });

  describe("the batch cap (MAX_BATCH_SIZE) and MAX_QUEUE=0", () => {
    test("a request with more sequences than the cap is refused at once with TooManySequences (no matter how idle)", async () => {
      for (const mode of ["continuous", "naive"]) {
        const model = await loadTestTextModel(MODEL, ["--batching", mode, "--max-batch-size", "2"]);
        expect(() => model.scheduler.submit(request(promptOf(3), { n: 3 }))).toThrow(TooManySequences);
        expect(() => model.scheduler.submit(request(promptOf(3), { n: 1, bestOf: 3 }))).toThrow(TooManySequences);
        expect(model.scheduler.stats()).toEqual({ activeSequences: 0, queued: 0 });
        const ok = await collectTokens(model.scheduler.submit(request(promptOf(3), { n: 2, maxTokens: 3 })));
        expect(ok.tokens.map((t) => t.length)).toEqual([3, 3]);
      }
    });

    test("naive mode: never more live sequences than the cap; the rest queue and start as loops end", async () => {
      const model = await loadTestTextModel(MODEL, ["--batching", "naive", "--max-batch-size", "2", "--max-queue", "8"]);
      let inFlight = 0;
      let most = 0;
      interceptForward(model.scheduler["model"].graph, async (_, pass) => {
        most = Math.max(most, ++inFlight);
        try {
          return await pass();
        } finally {
          inFlight--;
        }
      });
      const runs = Array.from({ length: 5 }, (_, i) => model.scheduler.submit(request(promptOf(3 + i, i), { maxTokens: 6 })));
      expect(model.scheduler.stats()).toEqual({ activeSequences: 2, queued: 3 });
      const results = await Promise.all(runs.map((r) => collectTokens(r)));
      results.forEach((r) => expect(r.tokens[0]).toHaveLength(6));
      expect(most).toBe(2);
      expect(model.scheduler.stats()).toEqual({ activeSequences: 0, queued: 0 });
    });

    test("MAX_QUEUE=0: an idle model accepts; a full batch refuses at once (0 waiting); room again after", async () => {
      for (const mode of ["continuous", "naive"]) {
        const model = await loadTestTextModel(MODEL, ["--batching", mode, "--max-batch-size", "1", "--max-queue", "0"]);
        const abort = new AbortController();
        const running = model.scheduler.submit(request(promptOf(4), { maxTokens: 500, signal: abort.signal }));
        let refused: unknown = null;
        try {
          model.scheduler.submit(request(promptOf(4, 1)));
        } catch (err) {
          refused = err;
        }
        expect(refused).toBeInstanceOf(QueueFull);
        expect(refused).toMatchObject({ waiting: 0, maxQueue: 0 });
        abort.abort();
        await collectTokens(running);
        for (let i = 0; i < 100 && model.scheduler.stats().activeSequences > 0; i++) await Bun.sleep(5);
        expect((await collectTokens(model.scheduler.submit(request(promptOf(4, 2), { maxTokens: 2 })))).tokens[0]).toHaveLength(2);
      }
    });
  });

  describe("best_of in the sequence group", () => {
    test("holds every event back, then releases the n best by mean logprob, re-indexed, and counts the rest", async () => {
      const model = await loadTestTextModel(MODEL);
      const base = { maxTokens: 6, sampling: { temperature: 1, seed: 99 } };
      // The same seeds draw the same candidates: the n = 4 run shows all of them.
      const all: { tokens: number[]; mean: number }[] = [];
      const lp = new Map<number, number[]>();
      for await (const e of model.scheduler.submit(request(promptOf(7), { ...base, n: 4, logprobs: 0 }))) {
        if (e.type === "delta") lp.set(e.index, [...(lp.get(e.index) ?? []), ...e.tokens.map((t) => t.logprob!)]);
        if (e.type === "delta") all[e.index] = { tokens: [...(all[e.index]?.tokens ?? []), ...e.tokens.map((t) => t.id)], mean: 0 };
      }
      all.forEach((c, i) => (c.mean = lp.get(i)!.reduce((a, b) => a + b, 0) / lp.get(i)!.length));
      const ranked = [...all].sort((a, b) => b.mean - a.mean).map((c) => c.tokens);

      const calls = watchForwards(model.scheduler["model"].graph);
      const events: GenerationEvent[] = [];
      let passesAtFirstDelta = -1;
      for await (const e of model.scheduler.submit(request(promptOf(7), { ...base, n: 2, bestOf: 4 }))) {
        if (e.type === "delta" && passesAtFirstDelta < 0) passesAtFirstDelta = calls.length;
        events.push(e);
      }
      expect(passesAtFirstDelta).toBe(calls.length); // nothing released before the last pass
      const got = await collectTokens((async function* () {
        yield* events;
      })());
      expect(got.tokens).toEqual(ranked.slice(0, 2));
      expect(new Set(events.filter((e) => e.type === "delta" || e.type === "finish").map((e) => (e as { index: number }).index))).toEqual(new Set([0, 1]));
      expect(events.filter((e) => e.type === "discarded")).toEqual([{ type: "discarded", completionTokens: 12 }]);
    });
  });

  describe("prefill", () => {
    test("n sequences share one prefill pass and decode as rows of one batch", async () => {
      const model = await loadTestTextModel(MODEL);
      const calls = watchForwards(model.scheduler["model"].graph);
      const prompt = promptOf(12);
      const r = await collectTokens(model.scheduler.submit(request(prompt, { n: 4, maxTokens: 6, sampling: { temperature: 1, seed: 7 } })));
      expect(r.tokens.map((t) => t.length)).toEqual([6, 6, 6, 6]);
      expect(calls.filter((c) => c.steps > 1)).toEqual([{ batch: 1, steps: 12, positions: Array.from({ length: 12 }, (_, i) => i) }]);
      expect(calls.filter((c) => c.steps === 1).map((c) => c.batch)).toEqual([4, 4, 4, 4, 4]);
    });

    test("a prompt longer than PREFILL_CHUNK_TOKENS is prefilled in chunks, with decode steps of running rows in between", async () => {
      const model = await loadTestTextModel(MODEL, ["--prefill-chunk-tokens", "16"]);
      const calls = watchForwards(model.scheduler["model"].graph);
      const running = model.scheduler.submit(request(promptOf(4), { maxTokens: 40 }));
      await firstEvent(running, "delta");
      const long = collectTokens(model.scheduler.submit(request(promptOf(50, 3), { maxTokens: 3 })));
      await Promise.all([long, collectTokens(running)]);
      const chunks = calls.filter((c) => c.steps > 4);
      expect(chunks.map((c) => [c.steps, c.positions[0]])).toEqual([[16, 0], [16, 16], [16, 32]]);
      expect(calls.filter((c) => c.steps === 2)).toHaveLength(1); // 50 = 16 + 16 + 16 + 2
      // between two chunks of the long prompt the running stream got a decode step
      const firstChunk = calls.findIndex((c) => c.steps === 16);
      expect(calls[firstChunk + 1]).toMatchObject({ steps: 1 });
    });
  });
});

async function firstEvent(events: AsyncIterable<GenerationEvent>, type: GenerationEvent["type"]): Promise<void> {
  for await (const e of events) if (e.type === type) return;
}
