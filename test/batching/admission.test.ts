/**
 * Admission with one batch slot and one queue place (--max-batch-size 1 --max-queue 1): more requests than that
 * are refused with 429 and Retry-After; a client that disconnects frees its slot (or its queue place) and the
 * queue moves on.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { startServer, type TestServer } from "../helpers/start-server.ts";
import { health, promptIds, stream, waitForHealth, type CompletionBody } from "./batch-client.ts";

// Bun 1.4 applies the preload's setDefaultTimeout to the first test file only; these start servers and models.
setDefaultTimeout(60_000);

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ args: ["--threads", "1", "--max-batch-size", "1", "--max-queue", "1"] });
});

afterAll(async () => {
  await server?.stop();
});

const long = (salt: number): CompletionBody => ({ model: "test-gpt2", prompt: promptIds(6, salt), max_tokens: 1000, temperature: 0, ignore_eos: true });

test("beyond one running and one queued request, the server answers 429 rate_limit_exceeded with Retry-After", async () => {
  const aborts = Array.from({ length: 5 }, () => new AbortController());
  const refused: Response[] = [];
  const accepted: Response[] = [];
  let arrived: () => void = () => {};
  const threeRefused = new Promise<void>((resolve) => (arrived = resolve));
  const requests = aborts.map((a, i) =>
    fetch(`${server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...long(i), stream: true }),
      signal: a.signal,
    })
      .then((r) => {
        (r.status === 429 ? refused : accepted).push(r);
        if (refused.length === 3) arrived();
      })
      .catch(() => {}), // aborted below
  );
  // (a queued stream's response head only comes with its first chunk, so the 429s are what can be awaited)
  await threeRefused;
  expect(await health(server.url)).toEqual(expect.objectContaining({ active_sequences: 1, queued_requests: 1 }));
  expect(accepted.every((r) => r.status === 200)).toBe(true);
  for (const r of refused) {
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await r.json()) as { error: { type: string; code: string; message: string } };
    expect(body.error.code).toBe("rate_limit_exceeded");
    expect(body.error.type).toBe("rate_limit_error");
  }
  for (const a of aborts) a.abort();
  await Promise.all(requests);
  await waitForHealth(server.url, (h) => h.active_sequences === 0 && h.queued_requests === 0);
});

test("a client that disconnects frees its slot and the queued request starts", async () => {
  const first = stream(server.url, long(10));
  await first.firstChunk;
  const second = stream(server.url, long(11));
  await waitForHealth(server.url, (h) => h.queued_requests === 1);
  expect(second.chunks).toBe(0); // waiting for the slot

  first.abort();
  await second.firstChunk; // the queue moved on
  expect((await first.done).aborted).toBe(true);
  expect(await health(server.url)).toEqual(expect.objectContaining({ active_sequences: 1, queued_requests: 0 }));
  second.abort();
  await waitForHealth(server.url, (h) => h.active_sequences === 0);
});

test("a queued client that disconnects leaves the queue and the running request is untouched", async () => {
  const running = stream(server.url, long(20));
  await running.firstChunk;
  const queued = stream(server.url, long(21));
  await waitForHealth(server.url, (h) => h.queued_requests === 1);
  queued.abort();
  await waitForHealth(server.url, (h) => h.queued_requests === 0);
  const chunksThen = running.chunks;
  await waitForHealth(server.url, () => running.chunks > chunksThen + 5); // still generating
  expect((await health(server.url)).active_sequences).toBe(1);
  // its place is free again: a new request is queued, not refused
  const next = stream(server.url, long(22));
  await waitForHealth(server.url, (h) => h.queued_requests === 1);
  running.abort();
  await next.firstChunk;
  expect(await next.status).toBe(200);
  next.abort();
  await waitForHealth(server.url, (h) => h.active_sequences === 0 && h.queued_requests === 0);
});
