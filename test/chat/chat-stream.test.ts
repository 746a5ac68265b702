/**
 * Streamed chat on test-chat: the SSE frames on the wire (raw fetch), the same answer through the official
 * client's stream, and a client hanging up mid-stream freeing its sequence.
 */
import { describe, expect, test } from "bun:test";
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import { parseSse, sseEvents } from "../helpers/sse.ts";
import { useServer } from "../helpers/start-server.ts";
import { chat, CHAT_MODEL, contentOf, type Extensions, type Health, health, IM_END_ID, postJson } from "./chat-kit.ts";

const ctx = useServer();

const messages = [{ role: "user" as const, content: "Tell me a story about a lighthouse." }];

/** A chunk as parsed from the wire, before any SDK fills in or drops fields. */
interface WireChunk {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: { index: number; delta: Record<string, unknown>; finish_reason?: unknown; logprobs?: unknown }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

interface WireStream {
  contentType: string | null;
  events: string[];
  chunks: WireChunk[];
}

async function streamRaw(body: object): Promise<WireStream> {
  const res = await postJson(ctx.server.url, "/v1/chat/completions", { model: CHAT_MODEL, messages, stream: true, ...body });
  expect(res.status).toBe(200);
  const events = parseSse(await res.text()).map((e) => e.data);
  // `data: [DONE]` exactly once, as the very last event.
  expect(events.filter((d) => d === "[DONE]")).toHaveLength(1);
  expect(events.at(-1)).toBe("[DONE]");
  return { contentType: res.headers.get("content-type"), events, chunks: events.slice(0, -1).map((d) => JSON.parse(d) as WireChunk) };
}

/** Per choice index: the ordered list of its choice objects across chunks. */
function byIndex(chunks: WireChunk[]): Map<number, WireChunk["choices"]> {
  const out = new Map<number, WireChunk["choices"]>();
  for (const c of chunks) for (const ch of c.choices) out.set(ch.index, [...(out.get(ch.index) ?? []), ch]);
  return out;
}

function expectChoiceOrder(choices: WireChunk["choices"], finish: string): void {
  // First: the role delta with empty content.
  expect(choices[0]!.delta).toEqual({ role: "assistant", content: "" });
  // Every choice object carries finish_reason: null until the last one, which has the reason (never "").
  for (const ch of choices) expect("finish_reason" in ch).toBe(true);
  expect(choices.slice(0, -1).every((ch) => ch.finish_reason === null)).toBe(true);
  expect(choices.at(-1)!.finish_reason).toBe(finish);
  // In between: content deltas only, no second role.
  for (const ch of choices.slice(1, -1)) {
    expect(Object.keys(ch.delta)).toEqual(["content"]);
    expect(typeof ch.delta.content).toBe("string");
  }
}

describe("stream frame order", () => {
  test("role delta, content deltas, finish_reason, [DONE]; one id; no usage unless asked", async () => {
    const s = await streamRaw({ max_tokens: 5, temperature: 0, ignore_eos: true });
    expect(s.contentType).toContain("text/event-stream");
    expect(s.chunks.length).toBeGreaterThanOrEqual(3);
    expect(new Set(s.chunks.map((c) => c.id)).size).toBe(1);
    expect(s.chunks[0]!.id).toMatch(/^chatcmpl-/);
    for (const c of s.chunks) {
      expect(c.object).toBe("chat.completion.chunk");
      expect(c.model).toBe(CHAT_MODEL);
      expect(Number.isInteger(c.created)).toBe(true);
      expect(c.choices).toHaveLength(1);
      expect("usage" in c).toBe(false);
    }
    expectChoiceOrder(byIndex(s.chunks).get(0)!, "length");
    expect(s.events.some((d) => d.includes('"finish_reason":""'))).toBe(false);
  });

  test("include_usage adds one final chunk with empty choices and the usage, right before [DONE]", async () => {
    const s = await streamRaw({ max_tokens: 4, temperature: 0, ignore_eos: true, stream_options: { include_usage: true } });
    const last = s.chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    const nonStream = await chat(ctx.client, { messages, max_tokens: 4, temperature: 0, ignore_eos: true });
    expect(last.usage).toEqual({
      prompt_tokens: nonStream.usage!.prompt_tokens,
      completion_tokens: 4,
      total_tokens: nonStream.usage!.prompt_tokens + 4,
    });
    // Every other chunk says usage: null, as OpenAI does.
    for (const c of s.chunks.slice(0, -1)) expect(c.usage).toBeNull();
    expectChoiceOrder(byIndex(s.chunks.slice(0, -1)).get(0)!, "length");
  });

  test("n = 2: each choice gets its own role delta, content and finish_reason", async () => {
    const s = await streamRaw({ n: 2, max_tokens: 3, temperature: 0, ignore_eos: true });
    const choices = byIndex(s.chunks);
    expect([...choices.keys()].sort()).toEqual([0, 1]);
    expectChoiceOrder(choices.get(0)!, "length");
    expectChoiceOrder(choices.get(1)!, "length");
  });

  test("end of turn in a stream: role delta, then finish_reason stop with no content", async () => {
    const s = await streamRaw({ max_tokens: 5, logit_bias: { [String(IM_END_ID)]: 100 } });
    const choices = byIndex(s.chunks).get(0)!;
    expectChoiceOrder(choices, "stop");
    expect(choices.map((ch) => ch.delta.content ?? "").join("")).toBe("");
  });
});

describe("streamed and non-streamed answers agree", () => {
  test("at temperature 0, the official client's stream joins to the non-stream text and logprobs", async () => {
    const params = { messages, max_tokens: 12, temperature: 0, ignore_eos: true, logprobs: true, top_logprobs: 2 } as const;
    const whole = await chat(ctx.client, params);
    const body: ChatCompletionCreateParamsStreaming & Extensions = { model: CHAT_MODEL, ...params, stream: true };
    const stream = await ctx.client.chat.completions.create(body);
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe(contentOf(whole));
    expect(text.length).toBeGreaterThan(0);
    const streamedLogprobs = chunks.flatMap((c) => c.choices[0]?.logprobs?.content ?? []);
    const wholeLogprobs = whole.choices[0]!.logprobs?.content ?? [];
    expect(streamedLogprobs.map((t) => t.token)).toEqual(wholeLogprobs.map((t) => t.token));
    streamedLogprobs.forEach((t, i) => expect(t.logprob).toBeCloseTo(wholeLogprobs[i]!.logprob, 5));
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("length");
  });
});

describe("streamed and non-streamed answers agree when sampling and stopping", () => {
  /** The text of choice 0 of a raw stream. */
  const streamedText = (s: WireStream) => s.chunks.map((c) => String(c.choices[0]?.delta.content ?? "")).join("");

  test("with a seed at temperature 1.5, the streamed text equals the non-streamed text", async () => {
    for (const seed of [3, 4]) {
      const params = { max_tokens: 25, temperature: 1.5, seed, ignore_eos: true };
      const whole = await chat(ctx.client, { messages, ...params });
      expect(streamedText(await streamRaw(params))).toBe(contentOf(whole));
    }
  });

  test("a stop string is held back, never sent: the stream ends with the same text as the non-stream answer", async () => {
    const greedy = await chat(ctx.client, { messages, max_tokens: 12, temperature: 0, ignore_eos: true });
    const text = contentOf(greedy);
    // Two characters that start somewhere past the first few: streamed deltas must not leak a partial match.
    const stop = text.slice(Math.floor(text.length / 2), Math.floor(text.length / 2) + 2);
    const expected = text.slice(0, text.indexOf(stop));
    expect(stop).toHaveLength(2);
    expect(expected.length).toBeLessThan(text.length - 2);
    const whole = await chat(ctx.client, { messages, max_tokens: 12, temperature: 0, ignore_eos: true, stop });
    expect(contentOf(whole)).toBe(expected);
    expect(whole.choices[0]!.finish_reason).toBe("stop");
    const s = await streamRaw({ max_tokens: 12, temperature: 0, ignore_eos: true, stop });
    expect(streamedText(s)).toBe(expected);
    expectChoiceOrder(byIndex(s.chunks).get(0)!, "stop");
  });
});

describe("client disconnect", () => {
  /** Polls /healthz (up to ~5 s) until `active_sequences` is `want`; returns the last reading. */
  async function awaitActive(want: number): Promise<Health> {
    let h = await health(ctx.server.url);
    for (let i = 0; i < 100 && h.active_sequences !== want; i++) {
      await Bun.sleep(50);
      h = await health(ctx.server.url);
    }
    return h;
  }

  test("hanging up mid-stream frees the sequence: /healthz active_sequences returns to 0", async () => {
    expect((await health(ctx.server.url)).active_sequences).toBe(0);
    const abort = new AbortController();
    // Long enough (about 2000 tokens) that it cannot finish on its own while the test watches.
    const res = await postJson(ctx.server.url, "/v1/chat/completions", { model: CHAT_MODEL, messages, stream: true, max_tokens: 2000, ignore_eos: true }, abort.signal);
    expect(res.status).toBe(200);
    let contentChunks = 0;
    for await (const e of sseEvents(res.body!)) {
      const chunk = JSON.parse(e.data) as WireChunk;
      if (typeof chunk.choices[0]?.delta.content === "string" && chunk.choices[0].delta.content !== "") contentChunks++;
      if (contentChunks === 3) break;
    }
    expect(contentChunks).toBe(3);
    // Still generating while the client is connected.
    expect((await health(ctx.server.url)).active_sequences).toBe(1);
    abort.abort();
    expect(await awaitActive(0)).toEqual({ status: "ok", active_sequences: 0, queued_requests: 0 });
  });

  test("hanging up on a non-streamed request frees its sequence too", async () => {
    const abort = new AbortController();
    const pending = postJson(ctx.server.url, "/v1/chat/completions", { model: CHAT_MODEL, messages, max_tokens: 2000, ignore_eos: true }, abort.signal).catch(
      (err: unknown) => err,
    );
    expect((await awaitActive(1)).active_sequences).toBe(1);
    abort.abort();
    expect(await pending).toBeInstanceOf(Error);
    expect(await awaitActive(0)).toEqual({ status: "ok", active_sequences: 0, queued_requests: 0 });
  });
});
