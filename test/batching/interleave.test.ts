/**
 * Requests interleave: a request that arrives while a long one is generating joins the running batch at the
 * next step (or, in naive mode, runs its own loop beside it), so its first token comes long before the first
 * request ends, and both keep streaming together.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { startServer, type TestServer } from "../helpers/start-server.ts";
import { promptIds, stream } from "./batch-client.ts";

// Bun 1.4 applies the preload's setDefaultTimeout to the first test file only; these start servers and models.
setDefaultTimeout(60_000);

const servers = new Map<string, TestServer>();

beforeAll(async () => {
  // tiny models: a second onnxruntime thread only adds contention
  const [continuous, naive] = await Promise.all([
    startServer({ args: ["--threads", "1"] }),
    startServer({ args: ["--threads", "1", "--batching", "naive"] }),
  ]);
  servers.set("continuous", continuous);
  servers.set("naive", naive);
});

afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => s.stop()));
});

test.each(["continuous", "naive"])("%s: a second stream's first token arrives before a 200-token first stream finishes", async (mode) => {
  const url = servers.get(mode)!.url;
  const long = stream(url, { model: "test-gpt2", prompt: promptIds(8), max_tokens: 200, temperature: 0, ignore_eos: true });
  await long.firstChunk;
  const short = stream(url, { model: "test-gpt2", prompt: promptIds(30, 1), max_tokens: 20, temperature: 0, ignore_eos: true });
  const shortFirst = await short.firstChunk;
  const longChunksThen = long.chunks;
  const [l, s] = await Promise.all([long.done, short.done]);

  expect(shortFirst).toBeLessThan(l.endedAt);
  expect(longChunksThen).toBeLessThan(150); // it joined early, not after most of the long stream
  expect(l.chunks).toBeGreaterThan(longChunksThen); // and the long stream kept going meanwhile
  expect(s.chunks).toBeGreaterThan(0);
});
