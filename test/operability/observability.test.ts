/**
 * What an operator sees: x-request-id on every answer (a sane incoming one honoured), one JSON log line per
 * request with its id, route, model, status, tokens, TTFT and duration (and no prompt text), metrics that move
 * with traffic, SSE comment pings at SSE_PING_INTERVAL, and a stalled reader that does not stall generation.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseSse, sseEvents } from "../helpers/sse.ts";
import { startServer, type TestServer } from "../helpers/start-server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ env: { LOG_FORMAT: "json", LOG_LEVEL: "info", SSE_PING_INTERVAL: "40ms", ENABLE_EMBEDDINGS_BACKEND: "true" } });
});

afterAll(async () => {
  await server?.stop();
});

function post(path: string, body: object, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

type LogLine = Record<string, string | number | boolean>;

function logLines(): LogLine[] {
  return server
    .stderr()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine);
}

/** The request's log line is written when its response ends, a moment after the client has it. */
async function logOf(id: string): Promise<LogLine[]> {
  for (let i = 0; i < 50; i++) {
    const lines = logLines().filter((l) => l.request_id === id);
    if (lines.length > 0) return lines;
    await Bun.sleep(20);
  }
  return [];
}

async function scrape(): Promise<Map<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe("request ids and the access log", () => {
  test("every answer has an x-request-id; a sane incoming one is kept, an insane one replaced", async () => {
    const fresh = await fetch(`${server.url}/healthz`);
    expect(fresh.headers.get("x-request-id")).toMatch(/^req-[A-Za-z0-9]{24}$/);
    const kept = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "trace-42.abc:7" } });
    expect(kept.headers.get("x-request-id")).toBe("trace-42.abc:7");
    const replaced = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": `bad id "with" spaces ${"x".repeat(200)}` } });
    expect(replaced.headers.get("x-request-id")).toMatch(/^req-/);
    const refused = await post("/v1/completions", { model: "nope", prompt: "x" });
    expect(refused.status).toBe(404);
    expect(refused.headers.get("x-request-id")).toMatch(/^req-/);
  });

  test("one JSON line per request with id, route, model, status, tokens, TTFT and duration; no prompt text", async () => {
    const secretPrompt = "PROMPT-TEXT-MUST-NOT-BE-LOGGED";
    const res = await post("/v1/completions", { model: "test-gpt2", prompt: secretPrompt, max_tokens: 4 }, { "x-request-id": "log-check-1" });
    const usage = ((await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
    const lines = await logOf("log-check-1");
    expect(lines).toHaveLength(1);
    const l = lines[0]!;
    expect(l).toMatchObject({ level: "info", msg: "request", method: "POST", route: "/v1/completions", model: "test-gpt2", status: 200 });
    expect(l.prompt_tokens).toBe(usage.prompt_tokens);
    expect(l.completion_tokens).toBe(usage.completion_tokens);
    expect(l.ttft_ms).toBeGreaterThan(0);
    expect(l.duration_ms as number).toBeGreaterThanOrEqual(l.ttft_ms as number);
    expect(typeof l.time).toBe("string");
    expect(server.stderr()).not.toContain(secretPrompt);
    expect(server.stdout()).not.toContain(secretPrompt);
  });

  test("a streamed request is logged once, when the stream ends, with its tokens", async () => {
    const res = await post("/v1/completions", { model: "test-gpt2", prompt: "Hi", max_tokens: 5, ignore_eos: true, stream: true }, { "x-request-id": "log-check-2" });
    await res.text();
    const [l] = await logOf("log-check-2");
    expect(l).toMatchObject({ status: 200, stream: true, completion_tokens: 5, model: "test-gpt2" });
  });

  test("errors carry their code in the log line", async () => {
    await post("/v1/completions", { model: "test-gpt2", prompt: "x", logprobs: 9 }, { "x-request-id": "log-check-3" });
    const [l] = await logOf("log-check-3");
    expect(l).toMatchObject({ status: 400, route: "/v1/completions", model: "test-gpt2", error: "invalid_value" });
  });
});

describe("metrics", () => {
  test("counters, token totals and latency histograms move with traffic", async () => {
    const before = await scrape();
    const res = await post("/v1/completions", { model: "test-gpt2", prompt: "Hello there", max_tokens: 6, ignore_eos: true });
    const usage = ((await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
    await (await post("/v1/completions", { model: "test-gpt2", prompt: "Hi", max_tokens: 3, ignore_eos: true, stream: true })).text();
    await post("/v1/completions", { model: "test-gpt2", prompt: "x", logprobs: 9 });
    await post("/v1/embeddings", { model: "test-embed", input: "four words of input" });
    await Bun.sleep(50);
    const after = await scrape();
    const delta = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);

    expect(delta('gpt3dev_requests_total{route="/v1/completions",method="POST",status="200"}')).toBe(2);
    expect(delta('gpt3dev_requests_total{route="/v1/completions",method="POST",status="400"}')).toBe(1);
    expect(delta('gpt3dev_requests_total{route="/v1/embeddings",method="POST",status="200"}')).toBe(1);
    expect(delta('gpt3dev_prompt_tokens_total{model="test-gpt2"}')).toBe(usage.prompt_tokens + 1);
    expect(delta('gpt3dev_completion_tokens_total{model="test-gpt2"}')).toBe(usage.completion_tokens + 3);
    expect(delta('gpt3dev_prompt_tokens_total{model="test-embed"}')).toBeGreaterThan(0);
    expect(delta('gpt3dev_time_to_first_token_seconds_count{model="test-gpt2"}')).toBe(2);
    // 6 + 3 tokens, the first of each sequence measured by TTFT instead.
    expect(delta('gpt3dev_time_per_output_token_seconds_count{model="test-gpt2"}')).toBe(5 + 2);
    expect(delta('gpt3dev_request_duration_seconds_count{route="/v1/completions"}')).toBe(3);
    expect(after.get('gpt3dev_model_load_seconds{model="test-gpt2"}')).toBeGreaterThan(0);
    for (const g of ["gpt3dev_queue_depth", "gpt3dev_active_sequences", "gpt3dev_in_flight_requests", "gpt3dev_draining", "process_resident_memory_bytes"]) {
      expect(after.has(g)).toBe(true);
    }
    expect(after.get("gpt3dev_draining")).toBe(0);
  });

  test("active sequences and in-flight requests show a running stream", async () => {
    const res = await post("/v1/completions", { model: "test-gpt2", prompt: "Hi", max_tokens: 400, ignore_eos: true, stream: true });
    const it = sseEvents(res.body!);
    await it.next();
    const during = await scrape();
    expect(during.get("gpt3dev_active_sequences")).toBeGreaterThanOrEqual(1);
    expect(during.get("gpt3dev_in_flight_requests")).toBeGreaterThanOrEqual(2); // the stream and this scrape
    await it.return(undefined);
  });

  test("hostile model names and paths add no series", async () => {
    await post("/v1/completions", { model: "evil\"}\n# injected", prompt: "x" });
    await fetch(`${server.url}/some/random/${"p".repeat(50)}`);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).not.toContain("injected");
    expect(text).not.toContain("/some/random");
    expect(text).toContain('route="other"');
  });
});

describe("SSE", () => {
  test("comment pings arrive at SSE_PING_INTERVAL while a stream is open; clients ignore them", async () => {
    const res = await post("/v1/completions", { model: "test-gpt2", prompt: "Hi", max_tokens: 120, ignore_eos: true, stream: true });
    const raw = await res.text();
    expect(raw).toContain(": ping\n\n");
    const events = parseSse(raw);
    expect(events.at(-1)!.data).toBe("[DONE]");
    expect(events.filter((e) => !e.data.startsWith("{") && e.data !== "[DONE]")).toEqual([]);
  });

  test("a reader that stops reading does not stall generation; what waits for it is bounded by max_tokens", async () => {
    const maxTokens = 300;
    const res = await post("/v1/completions", { model: "test-gpt2", prompt: "Hi", max_tokens: maxTokens, ignore_eos: true, stream: true });
    const reader = res.body!.getReader();
    await reader.read(); // then stall
    // Generation finishes without the reader: the engine never waits on the socket.
    let active = 1;
    for (let i = 0; i < 100 && active > 0; i++) {
      await Bun.sleep(50);
      active = ((await (await fetch(`${server.url}/healthz`)).json()) as { active_sequences: number }).active_sequences;
    }
    expect(active).toBe(0);
    // Everything it produced is still delivered, in order, once the reader resumes.
    let rest = "";
    const decoder = new TextDecoder();
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += decoder.decode(r.value, { stream: true });
    const frames = parseSse(rest).filter((e) => e.data !== "[DONE]");
    expect(frames.length).toBeLessThanOrEqual(maxTokens + 1);
    expect(rest.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });
});
