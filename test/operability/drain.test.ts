/**
 * Graceful shutdown of the real process: on SIGTERM an in-flight stream runs to its end while new requests
 * get 503 and /readyz says draining, then the process exits 0; a stream that outlives DRAIN_TIMEOUT ends with
 * an error frame and [DONE]; a second signal exits at once.
 */
import { afterEach, expect, test } from "bun:test";
import { sseEvents, type SseEvent } from "../helpers/sse.ts";
import { startServer, type TestServer } from "../helpers/start-server.ts";

let server: TestServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

/** A stream that has produced its first frame (so it is surely in flight), and the rest of its events. */
async function openStream(url: string, maxTokens: number): Promise<{ first: SseEvent; rest: Promise<SseEvent[]> }> {
  const res = await fetch(`${url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "test-gpt2", prompt: "Once upon a time", max_tokens: maxTokens, ignore_eos: true, stream: true }),
  });
  expect(res.status).toBe(200);
  const it = sseEvents(res.body!);
  const first = (await it.next()).value as SseEvent;
  const rest = (async () => {
    const out: SseEvent[] = [];
    for await (const e of it) out.push(e);
    return out;
  })();
  return { first, rest };
}

test("SIGTERM: the in-flight stream completes, new work gets 503, /readyz 503, exit 0", async () => {
  server = await startServer({ args: ["--drain-timeout", "30s"] });
  const url = server.url;
  const stream = await openStream(url, 250);
  expect(JSON.parse(stream.first.data).choices).toBeDefined();
  server.proc.kill("SIGTERM");
  await Bun.sleep(100);

  const ready = await fetch(`${url}/readyz`);
  expect(ready.status).toBe(503);
  expect(((await ready.json()) as { status: string }).status).toBe("draining");
  const refused = await fetch(`${url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "test-gpt2", prompt: "x", max_tokens: 1 }) });
  expect(refused.status).toBe(503);
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("server_shutting_down");

  const rest = await stream.rest;
  expect(rest.at(-1)!.data).toBe("[DONE]");
  const finish = JSON.parse(rest.at(-2)!.data) as { choices: { finish_reason: string }[] };
  expect(finish.choices[0]!.finish_reason).toBe("length");
  expect(rest.some((e) => e.data.includes('"error"'))).toBe(false);
  expect(await server.proc.exited).toBe(0);
  expect(server.stderr()).toContain("shut down");
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
});

test("a stream that outlives DRAIN_TIMEOUT ends with an error frame, then [DONE]; exit 0", async () => {
  server = await startServer({ args: ["--drain-timeout", "300ms"] });
  const stream = await openStream(server.url, 1000);
  const t0 = performance.now();
  server.proc.kill("SIGTERM");
  const rest = await stream.rest;
  expect(rest.at(-1)!.data).toBe("[DONE]");
  const err = JSON.parse(rest.at(-2)!.data) as { error: { code: string; type: string } };
  expect(err.error.code).toBe("server_shutting_down");
  expect(err.error.type).toBe("service_unavailable_error");
  expect(await server.proc.exited).toBe(0);
  expect(performance.now() - t0).toBeLessThan(5_000);
});

test("a second signal exits at once", async () => {
  server = await startServer({ args: ["--drain-timeout", "60s"] });
  const stream = await openStream(server.url, 1000);
  const ended = stream.rest.then(() => "finished", () => "cut");
  const t0 = performance.now();
  server.proc.kill("SIGINT");
  await Bun.sleep(100);
  server.proc.kill("SIGINT");
  expect(await server.proc.exited).toBe(130);
  expect(performance.now() - t0).toBeLessThan(3_000);
  // Cut, not finished: the connection just ends.
  expect(await ended).toBe("cut");
});
