/**
 * What the Responses API tests share: the test models, the server's own /tokenize as the count a prompt must
 * have (it renders chat messages by the same template path as /v1/chat/completions, independently of
 * /v1/responses), and raw SSE reading that keeps each frame's `event:` name.
 */
import { expect } from "bun:test";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { parseSse } from "../helpers/sse.ts";

export const CHAT_MODEL = "test-chat";
export const COMPLETION_MODEL = "test-gpt2";
/** test-chat's `<|im_end|>`: its end-of-turn token, a biased first pick of which ends a response at once. */
export const IM_END_ID = 50258;

export interface TemplateMessage {
  role: string;
  content: string;
  tool_call_id?: string;
}

/** The prompt tokens the server builds for these chat messages (POST /tokenize). */
export async function chatPromptTokens(url: string, messages: TemplateMessage[], headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${url}/tokenize`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ model: CHAT_MODEL, messages }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { count: number }).count;
}

export interface NamedEvent {
  /** The frame's `event:` line. */
  event: string | null;
  data: ResponseStreamEvent;
}

/** POST /v1/responses with stream: true, read to its end: every frame with its event name, and the raw body. */
export async function streamedEvents(url: string, body: object, headers: Record<string, string> = {}): Promise<{ events: NamedEvent[]; raw: string }> {
  const res = await fetch(`${url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ ...body, stream: true }) });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("text/event-stream");
  const raw = await res.text();
  const events = parseSse(raw).map((e) => ({ event: /^event: (.*)$/m.exec(e.raw)?.[1] ?? null, data: JSON.parse(e.data) as ResponseStreamEvent }));
  return { events, raw };
}

export async function postResponse(url: string, body: object, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
