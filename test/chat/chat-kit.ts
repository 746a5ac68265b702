/**
 * What the chat, embeddings and models-API tests share: typed requests with the server's extensions, the
 * refused-request check (from ../helpers/openai-api.ts), raw HTTP for what the SDK hides, and an independent
 * tokenizer (transformers.js AutoTokenizer on the test-model folders) to compute the prompts the server must
 * build. SSE framing is ../helpers/sse.ts.
 */
import { expect } from "bun:test";
import * as path from "node:path";
import { AutoTokenizer, env, type PreTrainedTokenizer } from "@huggingface/transformers";
import type OpenAI from "openai";
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import type { Extensions } from "../helpers/openai-api.ts";

export { expectRefused, type ErrorBody, type Extensions } from "../helpers/openai-api.ts";

export const CHAT_MODEL = "test-chat";
export const COMPLETION_MODEL = "test-gpt2";
export const EMBED_MODEL = "test-embed";
/** test-chat's `<|im_start|>` / `<|im_end|>` (end of turn and EOS) ids. */
export const IM_START_ID = 50257;
export const IM_END_ID = 50258;
export const CHAT_CONTEXT = 2048;

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
