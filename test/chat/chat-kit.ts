/**
 * What the chat, embeddings and models-API tests share: typed requests with the server's extensions, the
 * refused-request check, raw HTTP/SSE for what the SDK hides, and an independent tokenizer (transformers.js
 * AutoTokenizer on the test-model folders) to compute the prompts the server must build.
 */
import { expect } from "bun:test";
import * as path from "node:path";
import { AutoTokenizer, env, type PreTrainedTokenizer } from "@huggingface/transformers";
import OpenAI, { APIError } from "openai";
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";

export const CHAT_MODEL = "test-chat";
export const COMPLETION_MODEL = "test-gpt2";
export const EMBED_MODEL = "test-embed";
/** test-chat's `<|im_start|>` / `<|im_end|>` (end of turn and EOS) ids. */
export const IM_START_ID = 50257;
export const IM_END_ID = 50258;
export const CHAT_CONTEXT = 2048;

/** The common vLLM / llama-server extensions the server takes on top of OpenAI's parameters. */
export interface Extensions {
  top_k?: number;
  min_p?: number;
  repetition_penalty?: number;
  ignore_eos?: boolean;
}

export type ChatParams = Omit<ChatCompletionCreateParamsNonStreaming, "model"> & Extensions & { model?: string };

/** A non-streamed chat completion through the official client (extension fields pass through as body fields). */
export function chat(client: OpenAI, params: ChatParams): Promise<ChatCompletion> {
  const body: ChatCompletionCreateParamsNonStreaming & Extensions = { model: CHAT_MODEL, ...params };
  return client.chat.completions.create(body);
}

/** A choice's message text; fails the test when the server sent none (it always sends a string). */
export function contentOf(res: ChatCompletion, index = 0): string {
  const content = res.choices[index]?.message.content;
  if (typeof content !== "string") throw new Error(`choice ${index} has no string content: ${JSON.stringify(res.choices[index])}`);
  return content;
}

/** The error the client raised for a refused request (fails the test if the request succeeded). */
export async function apiError(p: Promise<unknown>): Promise<APIError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof APIError) return err;
    throw err;
  }
  throw new Error("expected the request to be refused, but it succeeded");
}

export interface ExpectedError {
  status: number;
  type?: string;
  param?: string | null;
  code?: string | null;
  /** Every pattern must match the message. */
  message?: RegExp[];
}

/** Awaits a refused request and checks what the client saw: status and the OpenAI error body fields. */
export async function expectRefused(p: Promise<unknown>, want: ExpectedError): Promise<APIError> {
  const err = await apiError(p);
  expect(err.status).toBe(want.status);
  expect(err.type).toBe(want.type ?? "invalid_request_error");
  if (want.param !== undefined) expect(err.param).toBe(want.param);
  if (want.code !== undefined) expect(err.code).toBe(want.code);
  const body = err.error as { message?: unknown } | undefined;
  expect(typeof body?.message).toBe("string");
  for (const re of want.message ?? []) expect(String(body?.message)).toMatch(re);
  return err;
}

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export async function postJson(url: string, route: string, body: object, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal });
}

export interface Health {
  status: string;
  active_sequences: number;
  queued_requests: number;
}

export async function health(url: string): Promise<Health> {
  const res = await fetch(`${url}/healthz`);
  expect(res.status).toBe(200);
  return (await res.json()) as Health;
}

/** One `data:` event of a Server-Sent Events body. */
export interface SseEvent {
  data: string;
}

/** Splits SSE text into its data events; comment frames (": ping") are skipped. */
export function parseSse(text: string): SseEvent[] {
  const out: SseEvent[] = [];
  for (const block of text.replace(/\r\n/g, "\n").split("\n\n")) {
    const lines = block.split("\n").filter((l) => l.startsWith("data:"));
    if (lines.length > 0) out.push({ data: lines.map((l) => l.slice(5).replace(/^ /, "")).join("\n") });
  }
  return out;
}

/** Reads SSE events as they arrive, so a test can act (or hang up) mid-stream. */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        yield* parseSse(buffer.slice(0, end + 2));
        buffer = buffer.slice(end + 2);
      }
    }
    yield* parseSse(buffer + decoder.decode());
  } finally {
    reader.releaseLock();
  }
}

const tokenizers = new Map<string, Promise<PreTrainedTokenizer>>();

/** The model folder's own tokenizer loaded by transformers.js, independently of the server's code. */
export function testTokenizer(model: string): Promise<PreTrainedTokenizer> {
  let t = tokenizers.get(model);
  if (!t) {
    const dir = process.env.TEST_MODELS_DIR;
    if (!dir) throw new Error("TEST_MODELS_DIR is not set (the bun test preload sets it)");
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = `${path.resolve(dir)}/`;
    t = AutoTokenizer.from_pretrained(model);
    tokenizers.set(model, t);
  }
  return t;
}

/** Token ids of `text` as the model's tokenizer splits it (special tokens written in the text are recognised). */
export async function tokenIds(model: string, text: string, addSpecialTokens = false): Promise<number[]> {
  const t = await testTokenizer(model);
  return t.encode(text, { add_special_tokens: addSpecialTokens });
}

/** The ChatML text test-chat's template must produce, generation prompt included. */
export function chatml(messages: { role: string; content: string }[]): string {
  return messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join("") + "<|im_start|>assistant\n";
}

export function testModelsDir(): string {
  const dir = process.env.TEST_MODELS_DIR;
  if (!dir) throw new Error("TEST_MODELS_DIR is not set (the bun test preload sets it)");
  return path.resolve(dir);
}
