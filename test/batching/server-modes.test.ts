/**
 * The engine's modes give the same outputs: prompts prefilled in 16-token chunks (interleaved with other rows'
 * decode steps) equal prompts prefilled at once, and the naive one-loop-per-request baseline equals continuous
 * batching, for greedy and seeded requests run concurrently. Prompt log-probabilities (echo) are scored across
 * chunk boundaries. Tokens and text must match exactly; log-probabilities to 1e-4 (see batch-invariance.test.ts
 * for why they are not bit-identical).
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { startServer, type TestServer } from "../helpers/start-server.ts";
import { complete, promptIds, type Choice, type CompletionBody } from "./batch-client.ts";

// Bun 1.4 applies the preload's setDefaultTimeout to the first test file only; these start servers and models.
setDefaultTimeout(60_000);

const modes: Record<string, string[]> = {
  reference: [],
  chunked: ["--prefill-chunk-tokens", "16"],
  naive: ["--batching", "naive"],
};
const servers = new Map<string, TestServer>();

beforeAll(async () => {
  const started = await Promise.all(Object.values(modes).map((args) => startServer({ args: ["--threads", "1", ...args] })));
  Object.keys(modes).forEach((name, i) => servers.set(name, started[i]!));
});

afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => s.stop()));
});

function workload(model: string): CompletionBody[] {
  return [
    { model, prompt: promptIds(100), max_tokens: 24, temperature: 0, logprobs: 2, echo: true, ignore_eos: true },
    { model, prompt: promptIds(47, 1), max_tokens: 30, temperature: 0.9, top_p: 0.95, seed: 11, n: 2, logprobs: 1, ignore_eos: true },
    { model, prompt: promptIds(16, 2), max_tokens: 20, temperature: 0, logprobs: 0, echo: true },
    { model, prompt: promptIds(5, 3), max_tokens: 40, temperature: 1, top_k: 20, seed: 12, logprobs: 0, ignore_eos: true },
    { model, prompt: promptIds(170, 4), max_tokens: 12, temperature: 1, min_p: 0.05, seed: 13, repetition_penalty: 1.3, logprobs: 0 },
  ];
}

function expectSame(expected: Choice[][], actual: Choice[][]): void {
  expected.forEach((choices, r) =>
    choices.forEach((c, j) => {
      const other = actual[r]![j]!;
      expect(other.text).toBe(c.text);
      expect(other.logprobs!.tokens).toEqual(c.logprobs!.tokens);
      c.logprobs!.token_logprobs.forEach((lp, k) => {
        const lp2 = other.logprobs!.token_logprobs[k] ?? null;
        if (lp === null || lp2 === null) expect(lp2).toBe(lp);
        else expect(Math.abs(lp - lp2)).toBeLessThan(1e-4);
      });
    }),
  );
}

test.each(["test-gpt2", "test-chat"])("%s: chunked prefill and naive mode give the outputs of the reference server", async (model) => {
  const requests = workload(model);
  const results = new Map<string, Choice[][]>();
  await Promise.all(
    [...servers].map(async ([name, server]) => results.set(name, await Promise.all(requests.map((r) => complete(server.url, r))))),
  );
  expectSame(results.get("reference")!, results.get("chunked")!);
  expectSame(results.get("reference")!, results.get("naive")!);
});
