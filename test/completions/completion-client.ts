/**
 * What the completions tests share: the request type with the server's extensions, raw HTTP for what the SDK
 * hides (statuses, headers, SSE frames), and the OpenAI error-body check.
 */
import { expect } from "bun:test";
import type OpenAI from "openai";
import type { Completion, CompletionCreateParamsNonStreaming } from "openai/resources/completions";
import type { ErrorBody, Extensions } from "../helpers/openai-api.ts";
import { parseSse, jsonFrames } from "../helpers/sse.ts";

export { apiError } from "../helpers/openai-api.ts";

export const MODEL = "test-gpt2";
export const EOS = 50256;
export const CONTEXT = 1024;

export type CompletionParams = Omit<CompletionCreateParamsNonStreaming, "model"> & Extensions & { model?: string };

/** A non-streamed completion through the official client (extension fields pass through as body fields). */
export function complete(client: OpenAI, params: CompletionParams): Promise<Completion> {
  const body: CompletionCreateParamsNonStreaming & Extensions = { model: MODEL, ...params };
  return client.completions.create(body);
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

export async function postRaw(url: string, body: string | object, headers: Record<string, string> = { "content-type": "application/json" }): Promise<RawResponse> {
  const res = await fetch(`${url}/v1/completions`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify({ model: MODEL, ...body }),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The body is exactly {error: {message, type, param, code}}, param and code strings or null. */
export function expectErrorBody(text: string): ErrorBody {
  const body: unknown = JSON.parse(text);
  expect(body).toBeObject();
  const outer = body as Record<string, unknown>;
  expect(Object.keys(outer)).toEqual(["error"]);
  const error = outer.error as Record<string, unknown>;
  expect(Object.keys(error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(error.message).toBeString();
  expect((error.message as string).length).toBeGreaterThan(0);
  expect(error.type).toBeString();
  expect(error.param === null || typeof error.param === "string").toBe(true);
  expect(error.code === null || typeof error.code === "string").toBe(true);
  return body as ErrorBody;
}

/** A raw streamed request: status, headers and the JSON chunks (with `[DONE]` checked last). */
export async function streamRaw(url: string, body: object): Promise<{ status: number; headers: Headers; raw: string; chunks: Completion[] }> {
  const res = await postRaw(url, { ...body, stream: true });
  if (res.status !== 200) throw new Error(`stream answered ${res.status}: ${res.text}`);
  return { status: res.status, headers: res.headers, raw: res.text, chunks: jsonFrames<Completion>(parseSse(res.text)) };
}

/** Each choice's text, joined from stream chunks, by index. */
export function joinChoices(chunks: Completion[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const c of chunks) for (const ch of c.choices) out.set(ch.index, (out.get(ch.index) ?? "") + ch.text);
  return out;
}

export async function health(url: string): Promise<{ status: string; active_sequences: number; queued_requests: number }> {
  const res = await fetch(`${url}/healthz`);
  return (await res.json()) as { status: string; active_sequences: number; queued_requests: number };
}
