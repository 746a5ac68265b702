/**
 * Streamed responses against the real server: the documented event sequence with `event:` names, sequence
 * numbers 0, 1, 2, … and no [DONE]; deltas that add up to the final text, which is the collected answer's; the
 * SDK's own event iteration and its responses.stream() helper (finalResponse) reading the same stream; a stream
 * cut by the drain deadline ends with response.failed.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { ResponseStreamEventSchema } from "../../src/http/responses/response-events-schema.ts";
import { sseEvents } from "../helpers/sse.ts";
import { startServer, useServer, type TestServer } from "../helpers/start-server.ts";
import { CHAT_MODEL, streamedEvents } from "./responses-kit.ts";

const ctx = useServer();

const BODY = { model: CHAT_MODEL, input: "Write a line about rivers.", max_output_tokens: 12, temperature: 0 };
const TEXT_ORDER: ResponseStreamEvent["type"][] = ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"];
const CLOSE_ORDER: ResponseStreamEvent["type"][] = ["response.output_text.done", "response.content_part.done", "response.output_item.done"];

function deltas(events: ResponseStreamEvent[]): string {
  return events.map((e) => (e.type === "response.output_text.delta" ? e.delta : "")).join("");
}

describe("the event stream on the wire", () => {
  test("documented order, event names, sequence numbers from 0, deltas adding up to the collected text", async () => {
    const { events, raw } = await streamedEvents(ctx.server.url, BODY);
    const types = events.map((e) => e.data.type);
    expect(types.slice(0, 4)).toEqual(TEXT_ORDER);
    const closing = types.indexOf("response.output_text.done");
    expect(types.slice(4, closing).every((t) => t === "response.output_text.delta")).toBe(true);
    expect(closing).toBeGreaterThan(4);
    expect(types.slice(closing)).toEqual([...CLOSE_ORDER, "response.incomplete"]);
    for (const e of events) expect(e.event).toBe(e.data.type);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    expect(raw).not.toContain("[DONE]");

    const data = events.map((e) => e.data);
    const created = data[0] as Extract<ResponseStreamEvent, { type: "response.created" }>;
    expect(created.response.status).toBe("in_progress");
    expect(created.response.output).toEqual([]);
    const final = (data.at(-1) as Extract<ResponseStreamEvent, { type: "response.incomplete" }>).response;
    expect(final.id).toBe(created.response.id);
    const text = deltas(data);
    const done = data.find((e) => e.type === "response.output_text.done") as Extract<ResponseStreamEvent, { type: "response.output_text.done" }>;
    expect(done.text).toBe(text);
    expect(final.output_text).toBe(text);
    const itemIds = new Set(data.flatMap((e) => ("item_id" in e ? [e.item_id] : "item" in e ? [e.item.id] : [])));
    expect([...itemIds]).toEqual([final.output[0]!.id!]);

    const collected = await ctx.client.responses.create(BODY);
    expect(collected.output_text).toBe(text);
    expect(final.usage).toEqual(collected.usage);
    expect(final.status).toBe("incomplete");
  });

  test("the SDK's own iteration sees the same sequence", async () => {
    const stream = await ctx.client.responses.create({ ...BODY, stream: true });
    const seen: ResponseStreamEvent[] = [];
    for await (const e of stream) seen.push(e);
    expect(seen.map((e) => e.sequence_number)).toEqual(seen.map((_, i) => i));
    expect(seen.slice(0, 4).map((e) => e.type)).toEqual(TEXT_ORDER);
    expect(seen.at(-1)!.type).toBe("response.incomplete");
    const collected = await ctx.client.responses.create(BODY);
    expect(deltas(seen)).toBe(collected.output_text);
  });
});

describe("the SDK's responses.stream() helper", () => {
  test("its delta events and finalResponse() agree with the stream and with the stored response", async () => {
    const stream = ctx.client.responses.stream(BODY);
    let snapshot = "";
    const fromDeltas: string[] = [];
    stream.on("response.output_text.delta", (e) => {
      fromDeltas.push(e.delta);
      snapshot = e.snapshot;
    });
    const final = await stream.finalResponse();
    expect(fromDeltas.join("")).toBe(final.output_text);
    expect(snapshot).toBe(final.output_text);
    expect(final.status).toBe("incomplete");
    expect(final.usage!.output_tokens).toBe(12);
    // Stored before its last event went out: GET finds it as the stream ended.
    const stored = await ctx.client.responses.retrieve(final.id);
    // (the helper adds its own `parsed: null` to each text part)
    expect(stored.output.map((o) => o.id)).toEqual(final.output.map((o) => o.id));
    expect(stored.usage).toEqual(final.usage);
    expect(stored.output_text).toBe(final.output_text);
  });

  test("a response the model ends itself: completed, and the helper's final text is empty", async () => {
    const final = await ctx.client.responses.stream({ ...BODY, logit_bias: { 50258: 100 } } as Parameters<typeof ctx.client.responses.stream>[0]).finalResponse();
    expect(final.status).toBe("completed");
    expect(final.output_text).toBe("");
    expect(final.output).toHaveLength(1);
  });

  test("store: false keeps nothing, streamed or not", async () => {
    const streamed = await ctx.client.responses.stream({ ...BODY, store: false }).finalResponse();
    const collected = await ctx.client.responses.create({ ...BODY, store: false });
    for (const id of [streamed.id, collected.id]) {
      const r = await fetch(`${ctx.server.url}/v1/responses/${id}`);
      expect(r.status).toBe(404);
    }
  });
});

describe("a client that leaves mid-stream", () => {
  test("stops the generation, and its cut-short response is not kept", async () => {
    const abort = new AbortController();
    const res = await fetch(`${ctx.server.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: CHAT_MODEL, input: "Go on", max_output_tokens: 1500, ignore_eos: true, stream: true }),
      signal: abort.signal,
    });
    let id = "";
    let seen = 0;
    try {
      for await (const e of sseEvents(res.body!)) {
        const data = JSON.parse(e.data) as ResponseStreamEvent;
        if (data.type === "response.created") id = data.response.id;
        if (++seen === 6) abort.abort();
      }
    } catch {
      // the aborted read
    }
    expect(id).toMatch(/^resp_/);
    let active = -1;
    for (let i = 0; i < 50 && active !== 0; i++) {
      await Bun.sleep(50);
      active = ((await (await fetch(`${ctx.server.url}/healthz`)).json()) as { active_sequences: number }).active_sequences;
    }
    expect(active).toBe(0);
    expect((await fetch(`${ctx.server.url}/v1/responses/${id}`)).status).toBe(404);
  });
});

describe("a failure after the stream started", () => {
  let server: TestServer | null = null;
  afterAll(async () => {
    await server?.stop();
  });

  test("the drain deadline ends the stream with response.failed carrying the error, then the stream ends", async () => {
    server = await startServer({ args: ["--drain-timeout", "300ms"] });
    const res = await fetch(`${server.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: CHAT_MODEL, input: "Go on", max_output_tokens: 1500, ignore_eos: true, stream: true }),
    });
    const events: ResponseStreamEvent[] = [];
    for await (const e of sseEvents(res.body!)) {
      events.push(JSON.parse(e.data) as ResponseStreamEvent);
      if (events.length === 5) server.proc.kill("SIGTERM");
    }
    const last = events.at(-1)!;
    if (last.type !== "response.failed") throw new Error(`expected response.failed last, got ${last.type}`);
    expect(last.response.status).toBe("failed");
    expect([...Value.Errors(ResponseStreamEventSchema, last)].map((e) => `${e.path}: ${e.message}`).slice(0, 3)).toEqual([]);
    expect(last.response.error?.code).toBe("server_error");
    expect(last.response.error?.message).toContain("shutting down");
    expect(last.response.output_text).toBe(deltas(events));
    expect(last.response.usage!.input_tokens).toBeGreaterThan(0);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    // The open message was closed before the failure was reported.
    expect(events.at(-2)!.type).toBe("response.output_item.done");
    expect(await server.proc.exited).toBe(0);
  });
});
