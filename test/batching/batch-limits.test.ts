/**
 * MAX_BATCH_SIZE and MAX_QUEUE as a client meets them, in both batching modes: MAX_BATCH_SIZE caps the sequences
 * a model decodes at once (a request that needs more is a 400 naming n or best_of), requests beyond the cap wait
 * in the queue (counted by /healthz and the 429 message), and MAX_QUEUE=0 means "never queued": a request is
 * served when it can join the batch at once and refused with 429 at once when it cannot.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startServer, type TestServer } from "../helpers/start-server.ts";
import { health, promptIds, stream, waitForHealth, type CompletionBody } from "./batch-client.ts";

// Bun 1.4 applies the preload's setDefaultTimeout to the first test file only; these start servers and models.
setDefaultTimeout(60_000);

const long = (salt: number): CompletionBody => ({ model: "test-gpt2", prompt: promptIds(6, salt), max_tokens: 1000, temperature: 0, ignore_eos: true });

async function post(url: string, path: string, body: object): Promise<{ status: number; headers: Headers; error: { message: string; param: string | null; code: string | null; type: string } }> {
  const res = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = (await res.json()) as { error: { message: string; param: string | null; code: string | null; type: string } };
  return { status: res.status, headers: res.headers, error: json.error };
}

const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

async function serve(args: string[]): Promise<TestServer> {
  const s = await startServer({ args: ["--threads", "1", ...args] });
  servers.push(s);
  return s;
}

describe("a request that needs more sequences than MAX_BATCH_SIZE is a 400 naming n or best_of", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await serve(["--max-batch-size", "2"]);
  });

  test.each([
    ["/v1/completions", { model: "test-gpt2", prompt: "x", max_tokens: 1, n: 3 }, "n"],
    ["/v1/completions", { model: "test-gpt2", prompt: "x", max_tokens: 1, n: 1, best_of: 3 }, "best_of"],
    ["/v1/chat/completions", { model: "test-chat", messages: [{ role: "user", content: "x" }], max_tokens: 1, n: 3 }, "n"],
  ] as const)("%s %j", async (path, body, param) => {
    const r = await post(server.url, path, body);
    expect(r.status).toBe(400);
    expect(r.error.type).toBe("invalid_request_error");
    expect(r.error.param).toBe(param);
    expect(r.error.message).toContain("MAX_BATCH_SIZE");
    expect(r.error.message).toContain("2");
  });

  test("n equal to the cap is served", async () => {
    const res = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "test-gpt2", prompt: "x", max_tokens: 2, n: 2 }),
    });
    expect(res.status).toBe(200);
  });
});

describe("BATCHING=naive: MAX_BATCH_SIZE caps the loops, and the rest wait in the queue", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await serve(["--batching", "naive", "--max-batch-size", "1", "--max-queue", "1"]);
  });

  test("one running, one queued (seen by /healthz), the third refused with a 429 that counts the waiting one", async () => {
    const running = stream(server.url, long(1));
    await running.firstChunk;
    const queued = stream(server.url, long(2));
    await waitForHealth(server.url, (h) => h.queued_requests === 1);
    expect(await health(server.url)).toEqual(expect.objectContaining({ active_sequences: 1, queued_requests: 1 }));
    expect(queued.chunks).toBe(0);

    const refused = await post(server.url, "/v1/completions", { ...long(3), max_tokens: 1 });
    expect(refused.status).toBe(429);
    expect(refused.error.code).toBe("rate_limit_exceeded");
    expect(refused.error.message).toContain("1 requests waiting");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);

    running.abort();
    await queued.firstChunk; // the queue moved on once the slot was free
    queued.abort();
    await waitForHealth(server.url, (h) => h.active_sequences === 0 && h.queued_requests === 0);
  });
});

describe("MAX_QUEUE=0: never queued", () => {
  for (const mode of ["continuous", "naive"]) {
    test(`${mode}: served on an idle model, refused at once while the batch is full, served again after`, async () => {
      const server = await serve(["--batching", mode, "--max-batch-size", "1", "--max-queue", "0"]);
      const idle = await fetch(`${server.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "test-gpt2", prompt: "x", max_tokens: 2 }),
      });
      expect(idle.status).toBe(200);

      const running = stream(server.url, long(4));
      await running.firstChunk;
      const refused = await post(server.url, "/v1/completions", { ...long(5), max_tokens: 1 });
      expect(refused.status).toBe(429);
      expect(refused.error.message).toContain("MAX_QUEUE=0");
      expect((await health(server.url)).queued_requests).toBe(0);
      running.abort();
      await waitForHealth(server.url, (h) => h.active_sequences === 0);
      const after = await fetch(`${server.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "test-gpt2", prompt: "x", max_tokens: 2 }),
      });
      expect(after.status).toBe(200);
    });
  }
});
