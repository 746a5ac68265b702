/**
 * Streaming as it crosses the wire: SSE framing, one id, finish_reason null until each choice's last chunk,
 * `data: [DONE]` last, the usage chunk only when asked, the same text as without streaming, and a client that
 * disconnects stops its generation.
 */
import { describe, expect, test } from "bun:test";
import type { Completion } from "openai/resources/completions";
import { parseSse, sseEvents } from "../helpers/sse.ts";
import { useServer } from "../helpers/start-server.ts";
import { MODEL, complete, health, joinChoices, streamRaw } from "./completion-client.ts";

const ctx = useServer();

const PROMPT = "Streaming, one token at a time:";

describe("frames", () => {
  test("every event is one `data: {json}` line, the last is `data: [DONE]`, served as text/event-stream", async () => {
    const { raw, headers } = await streamRaw(ctx.server.url, { prompt: PROMPT, max_tokens: 5, temperature: 0 });
    expect(headers.get("content-type")).toStartWith("text/event-stream");
    expect(raw.endsWith("data: [DONE]\n\n")).toBe(true);
    const events = parseSse(raw);
    for (const e of events) {
      expect(e.raw).toMatch(/^data: \S.*$/); // a single data line, nothing else in the event
      if (e.data !== "[DONE]") expect(() => JSON.parse(e.data)).not.toThrow();
    }
    expect(events.filter((e) => e.data === "[DONE]")).toHaveLength(1);
  });

  test("chunks share one id and the completion shape; finish_reason is null until each choice's last chunk", async () => {
    const { chunks } = await streamRaw(ctx.server.url, { prompt: ["first prompt", "second prompt"], n: 2, max_tokens: 4, temperature: 0 });
    const ids = new Set(chunks.map((c) => c.id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^cmpl-\w+$/);
    for (const c of chunks) {
      expect(c.object).toBe("text_completion");
      expect(c.model).toBe(MODEL);
      expect(Number.isInteger(c.created)).toBe(true);
      expect(c.usage ?? null).toBeNull();
    }
    for (const index of [0, 1, 2, 3]) {
      const mine = chunks.flatMap((c) => c.choices.filter((ch) => ch.index === index));
      expect(mine.length).toBeGreaterThan(1);
      const reasons = mine.map((ch) => ch.finish_reason);
      expect(reasons.slice(0, -1).every((r) => r === null)).toBe(true);
      expect(reasons.at(-1)).toBe("length");
    }
    const indexes = new Set(chunks.flatMap((c) => c.choices.map((ch) => ch.index)));
    expect([...indexes].sort()).toEqual([0, 1, 2, 3]);
  });

  test("without include_usage there is no usage chunk (no chunk with empty choices)", async () => {
    const { chunks } = await streamRaw(ctx.server.url, { prompt: PROMPT, max_tokens: 3, temperature: 0 });
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
  });
});

describe("same result as without streaming", () => {
  test("the streamed text of every choice equals the non-streamed text at temperature 0", async () => {
    const body = { prompt: ["one", "two three"], n: 2, max_tokens: 12, temperature: 0 };
    const whole = await complete(ctx.client, body);
    const { chunks } = await streamRaw(ctx.server.url, body);
    const joined = joinChoices(chunks);
    for (const c of whole.choices) expect(joined.get(c.index)).toBe(c.text);
  });

  test("a seeded temperature-1 stream equals the same non-streamed request", async () => {
    const body = { prompt: PROMPT, max_tokens: 10, temperature: 1, seed: 77 };
    const whole = await complete(ctx.client, body);
    const { chunks } = await streamRaw(ctx.server.url, body);
    expect(joinChoices(chunks).get(0)).toBe(whole.choices[0]!.text);
  });

  test("echo streams the prompt first, then the completion", async () => {
    const { chunks } = await streamRaw(ctx.server.url, { prompt: PROMPT, max_tokens: 4, temperature: 0, echo: true });
    expect(chunks[0]!.choices[0]!.text).toBe(PROMPT);
    const whole = await complete(ctx.client, { prompt: PROMPT, max_tokens: 4, temperature: 0, echo: true });
    expect(joinChoices(chunks).get(0)).toBe(whole.choices[0]!.text);
  });

  test("the official client iterates the stream to the same text", async () => {
    const whole = await complete(ctx.client, { prompt: PROMPT, max_tokens: 8, temperature: 0 });
    const stream = await ctx.client.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 8, temperature: 0, stream: true });
    let text = "";
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices.map((c) => c.text).join("");
    }
    expect(chunks).toBeGreaterThan(1);
    expect(text).toBe(whole.choices[0]!.text);
  });
});

describe("stream_options.include_usage", () => {
  test("exactly one final chunk with choices [] carries usage equal to the non-streamed usage", async () => {
    const body = { prompt: ["usage one", "usage two, longer"], n: 2, max_tokens: 5, temperature: 0 };
    const whole = await complete(ctx.client, body);
    const { chunks } = await streamRaw(ctx.server.url, { ...body, stream_options: { include_usage: true } });
    const usageChunks = chunks.filter((c) => c.choices.length === 0);
    expect(usageChunks).toHaveLength(1);
    expect(chunks.at(-1)).toBe(usageChunks[0]!);
    expect(usageChunks[0]!.usage).toEqual(whole.usage!);
    expect(usageChunks[0]!.id).toBe(chunks[0]!.id);
    // Every other chunk says usage: null, as OpenAI does when include_usage is set.
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();
  });

  test("the official client exposes the usage chunk", async () => {
    const stream = await ctx.client.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 3, temperature: 0, stream: true, stream_options: { include_usage: true } });
    const seen: Completion[] = [];
    for await (const chunk of stream) seen.push(chunk);
    const last = seen.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage!.completion_tokens).toBe(3);
    expect(last.usage!.total_tokens).toBe(last.usage!.prompt_tokens + 3);
  });

  test("include_usage false sends no usage chunk", async () => {
    const { chunks } = await streamRaw(ctx.server.url, { prompt: PROMPT, max_tokens: 3, stream_options: { include_usage: false } });
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
  });
});

describe("disconnect", () => {
  test("a client that disconnects mid-stream frees its sequences: /healthz active_sequences returns to 0", async () => {
    const abort = new AbortController();
    const res = await fetch(`${ctx.server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      // top_p < 1 sorts candidates each step: 1000 tokens take many seconds, far longer than the wait below.
      body: JSON.stringify({ model: MODEL, prompt: PROMPT, max_tokens: 1000, ignore_eos: true, top_p: 0.99, stream: true }),
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    const events = sseEvents(res.body!);
    const first = await events.next();
    expect(first.done).toBe(false);
    expect((JSON.parse(first.value!.data) as Completion).choices[0]!.finish_reason).toBeNull();
    expect((await health(ctx.server.url)).active_sequences).toBeGreaterThan(0);
    abort.abort();
    await events.return(undefined).catch(() => {});

    let active = -1;
    for (let i = 0; i < 20 && active !== 0; i++) {
      await Bun.sleep(100);
      active = (await health(ctx.server.url)).active_sequences;
    }
    expect(active).toBe(0);
    // The server is still fine afterwards.
    const after = await complete(ctx.client, { prompt: PROMPT, max_tokens: 2, temperature: 0 });
    expect(after.choices[0]!.finish_reason).toBe("length");
  });

  test("aborting a non-streamed request frees its sequences too", async () => {
    const abort = new AbortController();
    const pending = fetch(`${ctx.server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, prompt: PROMPT, max_tokens: 1000, ignore_eos: true, top_p: 0.99 }),
      signal: abort.signal,
    }).catch((err: unknown) => err);
    let active = 0;
    for (let i = 0; i < 50 && active === 0; i++) {
      await Bun.sleep(20);
      active = (await health(ctx.server.url)).active_sequences;
    }
    expect(active).toBeGreaterThan(0);
    abort.abort();
    await pending;
    for (let i = 0; i < 20 && active !== 0; i++) {
      await Bun.sleep(100);
      active = (await health(ctx.server.url)).active_sequences;
    }
    expect(active).toBe(0);
  });
});
