/**
 * Fifty streaming clients that all vanish mid-flight (some generating, some still queued) leave nothing behind:
 * /healthz returns to zero active sequences and an empty queue, and the next request is served normally.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { startServer, type TestServer } from "../helpers/start-server.ts";
import { complete, health, promptIds, stream, waitForHealth } from "./batch-client.ts";

// Bun 1.4 applies the preload's setDefaultTimeout to the first test file only; these start servers and models.
setDefaultTimeout(60_000);

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ args: ["--threads", "1"] }); // tiny models: a second thread only adds contention
});

afterAll(async () => {
  await server?.stop();
});

test("50 streams aborted mid-flight leave zero active sequences", async () => {
  const streams = Array.from({ length: 50 }, (_, i) =>
    stream(server.url, { model: i % 2 ? "test-gpt2" : "test-chat", prompt: promptIds(3 + (i % 11), i), max_tokens: 500, temperature: 1, ignore_eos: true }),
  );
  // mid-flight: the first batch is generating, the rest are queued behind MAX_BATCH_SIZE (16 per model)
  await Promise.all(streams.slice(0, 4).map((s) => s.firstChunk));
  const busy = await health(server.url);
  expect(busy.active_sequences).toBeGreaterThan(0);
  expect(busy.queued_requests).toBeGreaterThan(0);

  for (const s of streams) s.abort();
  const ends = await Promise.all(streams.map((s) => s.done));
  expect(ends.every((e) => e.aborted)).toBe(true);
  await waitForHealth(server.url, (h) => h.active_sequences === 0 && h.queued_requests === 0);

  const after = await complete(server.url, { model: "test-gpt2", prompt: "Still serving?", max_tokens: 5, temperature: 0 });
  expect(after[0]!.finish_reason).not.toBeNull();
});
