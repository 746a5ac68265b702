/**
 * Batching is invisible: each greedy or seeded request gives the same tokens when it runs alone as when it
 * shares batches with other requests (joining and leaving at different steps, different prompt lengths, n > 1,
 * penalties, stop strings, unseeded traffic, streams that disconnect).
 *
 * Tokens and text are compared exactly. Log-probabilities are compared to 1e-4 and are not bit-identical: a
 * row's attention sums run over its left padding (exact zeros, but they move which SIMD lane adds which term)
 * and the batched matmuls pick other kernels' blocking, so the last bits of float32 rounding differ (≈4e-6
 * seen here). The test models' logits are spread wide enough (std 2) that such noise never flips a token.
 *
 * The exports run the Optimum layout (a regathered, left-padded cache); the built checkpoints run the engine-owned
 * KV rows (in-place writes, rows joining into their own slots, leaving ones replaced by the last row, capacity
 * grown in chunks), across architectures: learned positions, rotary with GQA folded into query rows, a window.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { startServer, testRegistryPath, type TestServer } from "../helpers/start-server.ts";
import { complete, health, promptIds, stream, type Choice, type CompletionBody } from "./batch-client.ts";

// Bun 1.4 applies the preload's setDefaultTimeout to the first test file only; these start servers and models.
setDefaultTimeout(60_000);

const LOGPROB_TOLERANCE = 1e-4;

/** Model, and the longest prompt its context leaves room for. */
const MODELS: [string, number][] = [
  ["test-gpt2", 130],
  ["test-chat", 130],
  ["ckpt-gpt2", 70],
  ["ckpt-llama", 130],
  ["ckpt-qwen3", 130],
  ["ckpt-mistral", 130],
];

let server: TestServer;
const root = fs.mkdtempSync(path.join(os.tmpdir(), "batch-invariance-"));

beforeAll(async () => {
  // the test registry's exports, plus factory checkpoints the server builds into a cache of this test's own
  const registry = path.join(root, "registry.yaml");
  const exports = (parse(fs.readFileSync(testRegistryPath(), "utf8")) as { name: string; path: string }[]).map((e) => ({ ...e, path: path.resolve(path.dirname(testRegistryPath()), e.path) }));
  const checkpoints = MODELS.filter(([m]) => m.startsWith("ckpt-")).map(([name]) => ({ name, path: path.join(path.dirname(testRegistryPath()), name), device: "cpu" }));
  fs.writeFileSync(registry, stringify([...exports, ...checkpoints]));
  // tiny models: a second thread only adds contention
  server = await startServer({ args: ["--threads", "1", "--registry", registry], env: { MODEL_CACHE_DIR: path.join(root, "cache") } });
});

afterAll(async () => {
  await server?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Greedy and seeded requests over several prompt lengths and sampling settings. */
function workload(model: string, longest: number): CompletionBody[] {
  const lengths = [1, 9, 40, longest];
  return lengths.flatMap((len, i): CompletionBody[] => [
    { model, prompt: promptIds(len, i), max_tokens: 12 + 9 * i, temperature: 0, logprobs: 2, ignore_eos: true },
    { model, prompt: promptIds(len, i + 10), max_tokens: 30 - 5 * i, temperature: 0.8, top_p: 0.9, top_k: 40, seed: 100 + i, logprobs: 1 },
    {
      model,
      prompt: promptIds(len + 3, i + 20),
      max_tokens: 10 + 4 * i,
      n: 3,
      temperature: 1,
      min_p: 0.02,
      seed: 7 * i,
      presence_penalty: 0.5,
      frequency_penalty: 0.3,
      repetition_penalty: 1.2,
      logit_bias: { "13": 5, "262": -100 },
      logprobs: 0,
      ignore_eos: true,
    },
  ]).concat([
    { model, prompt: "The same words, echoed and scored, then continued:", max_tokens: 15, temperature: 0, echo: true, logprobs: 1 },
    { model, prompt: "Stop strings hold back text across token boundaries", max_tokens: 40, temperature: 0, stop: ["e", "a"], logprobs: 0 },
  ]);
}

/** Unseeded requests and abandoned streams that only change who shares each batch. */
function noise(url: string, model: string, longest: number): Promise<unknown>[] {
  const scale = longest / 130; // prompts in proportion to the model's context
  const jobs: Promise<unknown>[] = [];
  for (let i = 0; i < 6; i++) {
    jobs.push(
      (async () => {
        await Bun.sleep(5 * i);
        await complete(url, { model, prompt: promptIds(Math.round((5 + 23 * i) * scale), 50 + i), max_tokens: 8 + 6 * i, temperature: 1, ignore_eos: true });
      })(),
    );
  }
  for (let i = 0; i < 3; i++) {
    jobs.push(
      (async () => {
        const s = stream(url, { model, prompt: promptIds(Math.round(17 * (i + 1) * scale), 60 + i), max_tokens: Math.round(200 * scale ** 2), temperature: 1, ignore_eos: true });
        await s.firstChunk;
        await Bun.sleep(10 * i);
        s.abort();
        await s.done;
      })(),
    );
  }
  return jobs;
}

function expectSameChoices(alone: Choice[][], together: Choice[][]): number {
  let maxDiff = 0;
  alone.forEach((choices, r) => {
    expect(together[r]!.map((c) => c.text)).toEqual(choices.map((c) => c.text));
    choices.forEach((c, j) => {
      const other = together[r]![j]!;
      expect(other.finish_reason).toBe(c.finish_reason);
      if (!c.logprobs) return;
      expect(other.logprobs!.tokens).toEqual(c.logprobs.tokens);
      c.logprobs.token_logprobs.forEach((lp, k) => {
        const lp2 = other.logprobs!.token_logprobs[k];
        if (lp === null || lp2 === null || lp2 === undefined) return expect(lp2 ?? null).toBe(lp);
        maxDiff = Math.max(maxDiff, Math.abs(lp - lp2));
      });
    });
  });
  expect(maxDiff).toBeLessThan(LOGPROB_TOLERANCE);
  return maxDiff;
}

describe.each(MODELS)("%s", (model, longest) => {
  test("every request's output under concurrency equals its output alone", async () => {
    const requests = workload(model, longest);
    const alone: Choice[][] = [];
    for (const r of requests) alone.push(await complete(server.url, r));

    let peak = 0;
    let running = true;
    const watcher = (async () => {
      while (running) {
        peak = Math.max(peak, (await health(server.url)).active_sequences);
        await Bun.sleep(2);
      }
    })();
    // Staggered starts, so rows join a batch whose cache is already longer than their own.
    const together = await Promise.all(
      requests.map(async (r, i) => {
        await Bun.sleep((i % 4) * 4);
        return complete(server.url, r);
      }),
    );
    const background = noise(server.url, model, longest);
    const again = await Promise.all(requests.map((r) => complete(server.url, r)));
    await Promise.all(background);
    running = false;
    await watcher;

    expect(peak).toBeGreaterThan(4); // the requests really did share batches
    const d1 = expectSameChoices(alone, together);
    const d2 = expectSameChoices(alone, again);
    console.log(`${model}: ${requests.length} requests, peak ${peak} sequences in a batch, max |Δ logprob| ${Math.max(d1, d2).toExponential(1)}`);
  });
});
