/**
 * The TokenConstraint hook (src/engine/generation/token-constraint.ts) through the real scheduler and batch loop
 * on test-gpt2, with a tiny fake constraint that dictates a fixed token sequence: a mask that allows one token
 * forces it, a promise mask is asked for before the forward pass and answers while it runs, the chosen token is
 * accepted, and dispose() runs exactly once however the sequence ends (finish, cancel, a queued cancel, a
 * failing constraint, a prefill-only request). A constraint's failure ends its own request only.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { GenerationFailed } from "../../src/engine/engine-errors.ts";
import type { GenerationEvent } from "../../src/engine/generation/generation-types.ts";
import type { TokenConstraint } from "../../src/engine/generation/token-constraint.ts";
import type { DecoderRuntime } from "../../src/engine/runtime/decoder-runtime.ts";
import { collectTokens, interceptForward, loadTestTextModel, promptOf, request } from "./engine-kit.ts";

setDefaultTimeout(60_000);

const VOCAB = 50257;

function maskOf(id: number): Uint32Array {
  const m = new Uint32Array(Math.ceil(VOCAB / 32));
  m[id >>> 5] = 1 << (id & 31);
  return m;
}

/** Dictates `script` token by token (then allows anything); records what the engine did with it. */
class ScriptedConstraint implements TokenConstraint {
  readonly accepted: number[] = [];
  asked = 0;
  disposed = 0;
  private step = 0;

  constructor(
    private readonly script: number[],
    private readonly answer: (mask: Uint32Array | null, step: number) => Uint32Array | null | Promise<Uint32Array | null> = (m) => m,
  ) {}

  nextMask(): Uint32Array | null | Promise<Uint32Array | null> {
    this.asked++;
    const id = this.script[this.step];
    return this.answer(id === undefined ? null : maskOf(id), this.step);
  }

  accept(id: number): void {
    this.accepted.push(id);
    this.step++;
  }

  dispose(): void {
    this.disposed++;
  }
}

/** Calls `onPass` at the start of every forward pass of `graph` (before the pass itself runs). */
function onEachPass(graph: DecoderRuntime, onPass: () => void): void {
  interceptForward(graph, (_, pass) => {
    onPass();
    return pass();
  });
}

const SCRIPT = [464, 2068, 7586, 21831, 18045, 625, 262, 16931]; // " The quick brown fox jumps over the lazy"

/** Each test runs on an ONNX export (Optimum layout) and on a built checkpoint (engine-owned KV rows). */
describe.each(["test-gpt2", "ckpt-gpt2"])("%s", (MODEL) => {
  describe("a mask that allows one token forces it", () => {
    test("sampled, penalised and biased requests all produce the scripted tokens; each is accepted; dispose once", async () => {
      const model = await loadTestTextModel(MODEL);
      const made: ScriptedConstraint[] = [];
      const events = model.scheduler.submit(
        request(promptOf(5), {
          n: 3,
          maxTokens: SCRIPT.length,
          sampling: { temperature: 1.2, topK: 40, seed: 3, presencePenalty: 1.5, logitBias: new Map([[SCRIPT[0]!, -100]]) },
          constraints: (i) => {
            expect(i).toBe(made.length);
            const c = new ScriptedConstraint(SCRIPT);
            made.push(c);
            return c;
          },
        }),
      );
      const r = await collectTokens(events);
      expect(r.tokens).toEqual([SCRIPT, SCRIPT, SCRIPT]);
      expect(made).toHaveLength(3);
      for (const c of made) {
        expect(c.accepted).toEqual(SCRIPT);
        expect(c.asked).toBe(SCRIPT.length);
        expect(c.disposed).toBe(1);
      }
    });
  });

  describe("promise masks", () => {
    test("are asked for before the forward pass and may answer only once it has started", async () => {
      const model = await loadTestTextModel(MODEL);
      let gates: (() => void)[] = [];
      let passes = 0;
      onEachPass(model.scheduler["model"].graph, () => {
        passes++;
        for (const open of gates.splice(0)) open();
      });
      let late = 0;
      let askedBeforePass = 0;
      const constraint = new ScriptedConstraint(SCRIPT, (mask) => {
        const passesWhenAsked = passes;
        return new Promise((resolve) => {
          // If the loop awaited the mask before starting the pass, only this timer would ever answer.
          const timer = setTimeout(() => (late++, resolve(mask)), 2_000);
          gates.push(() => {
            clearTimeout(timer);
            if (passes === passesWhenAsked + 1) askedBeforePass++;
            resolve(mask);
          });
        });
      });
      const r = await collectTokens(model.scheduler.submit(request(promptOf(4), { maxTokens: 6, constraints: () => constraint })));
      gates = [];
      expect(r.tokens[0]).toEqual(SCRIPT.slice(0, 6));
      expect(late).toBe(0);
      // asked 6 times: once before the prompt's pass (first token), then before each decode step but the last
      expect(constraint.asked).toBe(6);
      expect(askedBeforePass).toBe(6);
      expect(constraint.disposed).toBe(1);
    });
  });

  describe("dispose runs exactly once however a sequence ends", () => {
    test("cancelled mid-generation", async () => {
      const model = await loadTestTextModel(MODEL);
      const abort = new AbortController();
      const c = new ScriptedConstraint([]);
      const events = model.scheduler.submit(request(promptOf(4), { maxTokens: 500, signal: abort.signal, constraints: () => c }));
      let deltas = 0;
      for await (const e of events) if (e.type === "delta" && ++deltas === 3) abort.abort();
      for (let i = 0; i < 100 && model.scheduler.stats().activeSequences > 0; i++) await Bun.sleep(10);
      expect(c.disposed).toBe(1);
      expect(model.scheduler.stats()).toEqual({ activeSequences: 0, queued: 0 });
    });

    test("cancelled while queued, before it ever ran (its mask never asked)", async () => {
      const model = await loadTestTextModel(MODEL, ["--max-batch-size", "1", "--max-queue", "2"]);
      const running = new AbortController();
      const queued = new AbortController();
      const first = model.scheduler.submit(request(promptOf(4), { maxTokens: 500, signal: running.signal }));
      const c = new ScriptedConstraint([]);
      const second = model.scheduler.submit(request(promptOf(4, 1), { maxTokens: 5, signal: queued.signal, constraints: () => c }));
      expect(model.scheduler.stats().queued).toBe(1);
      queued.abort();
      expect(await collectTokens(second)).toEqual({ tokens: [], reasons: [] });
      expect(c.disposed).toBe(1);
      expect(c.asked).toBe(0);
      running.abort();
      await collectTokens(first);
    });

    test("a prefill-only request (max_tokens 0): never asked, disposed once", async () => {
      const model = await loadTestTextModel(MODEL);
      const made: ScriptedConstraint[] = [];
      const factory = () => {
        const c = new ScriptedConstraint(SCRIPT);
        made.push(c);
        return c;
      };
      await collectTokens(model.scheduler.submit(request(promptOf(6), { maxTokens: 0, constraints: factory })));
      await collectTokens(model.scheduler.submit(request(promptOf(6), { maxTokens: 0, promptLogprobs: 1, constraints: factory })));
      expect(made.map((c) => [c.asked, c.disposed])).toEqual([[0, 1], [0, 1]]);
    });

    test("a constraint that fails ends its request with generation_failed; the batch's other request goes on", async () => {
      const model = await loadTestTextModel(MODEL);
      const other = model.scheduler.submit(request(promptOf(5, 2), { maxTokens: 12 }));
      // sequence 1's constraint fails at its fourth token; sequence 0's is fine
      const made = [0, 1].map((i) => new ScriptedConstraint(SCRIPT, (mask, step) => (i === 1 && step === 3 ? Promise.reject(new Error("grammar exploded")) : mask)));
      const events: GenerationEvent[] = [];
      for await (const e of model.scheduler.submit(request(promptOf(5, 3), { n: 2, maxTokens: 12, constraints: (i) => made[i]! }))) events.push(e);
      const error = events.find((e) => e.type === "error");
      expect(error?.type === "error" && error.error).toBeInstanceOf(GenerationFailed);
      expect(error?.type === "error" && error.error.message).toContain("grammar exploded");
      expect(events.filter((e) => e.type === "finish")).toEqual([]);
      expect(made.map((c) => c.disposed)).toEqual([1, 1]);
      expect((await collectTokens(other)).tokens[0]).toHaveLength(12);
    });

    test("a forward pass that throws: the request fails and each constraint is disposed once", async () => {
      const model = await loadTestTextModel(MODEL);
      let calls = 0;
      interceptForward(model.scheduler["model"].graph, (_, pass) => (++calls === 3 ? Promise.reject(new Error("onnxruntime fell over")) : pass()));
      const made = [0, 1].map(() => new ScriptedConstraint([]));
      const events: GenerationEvent[] = [];
      for await (const e of model.scheduler.submit(request(promptOf(5), { n: 2, maxTokens: 10, constraints: (i) => made[i]! }))) events.push(e);
      expect(events.at(-1)).toMatchObject({ type: "error", error: { code: "generation_failed" } });
      expect(made.map((c) => c.disposed)).toEqual([1, 1]);
    });

    test("a factory that throws for the second sequence: refused at submit, the first constraint disposed", async () => {
      const model = await loadTestTextModel(MODEL);
      const first = new ScriptedConstraint([]);
      const submit = () =>
        model.scheduler.submit(
          request(promptOf(5), {
            n: 2,
            constraints: (i) => {
              if (i === 1) throw new Error("schema too deep");
              return first;
            },
          }),
        );
      expect(submit).toThrow(GenerationFailed);
      expect(first.disposed).toBe(1);
      expect(model.scheduler.stats()).toEqual({ activeSequences: 0, queued: 0 });
    });

    test("a mask that allows nothing fails the request instead of emitting a forbidden token", async () => {
      const model = await loadTestTextModel(MODEL);
      const c = new ScriptedConstraint([], () => new Uint32Array(0));
      const events: GenerationEvent[] = [];
      for await (const e of model.scheduler.submit(request(promptOf(3), { maxTokens: 4, constraints: () => c }))) events.push(e);
      expect(events.some((e) => e.type === "delta")).toBe(false);
      expect(events.at(-1)).toMatchObject({ type: "error", error: { code: "generation_failed" } });
      expect(c.disposed).toBe(1);
    });
  });
});
