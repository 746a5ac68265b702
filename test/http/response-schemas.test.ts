/**
 * The wire schemas are the truth about what the server sends: real answers of a running server (collected and
 * streamed, with logprobs, echo, n, best_of and usage; embeddings; models; tokenize; errors and a stream's error
 * frame; responses, their stream events, stored-response answers; the status document) are checked against them
 * with TypeBox's Value.Check. The response schemas admit no extra properties,
 * so a field added or renamed in a handler without its schema fails here.
 */
import { describe, expect, test } from "bun:test";
import type { TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { ChatChunkSchema, ChatResponseSchema } from "../../src/http/chat/chat-schema.ts";
import { CompletionResponseSchema } from "../../src/http/completions/completion-schema.ts";
import { EmbeddingResponseSchema } from "../../src/http/embeddings/embedding-schema.ts";
import { ModelDetailSchema, ModelListSchema } from "../../src/http/models/model-schema.ts";
import { ResponseStreamEventSchema, type ResponseStreamEvent } from "../../src/http/responses/response-events-schema.ts";
import { InputItemListSchema, ResponseDeletedSchema, ResponseObjectSchema, type InputItemList, type ResponseObject } from "../../src/http/responses/response-schema.ts";
import { ErrorBodySchema } from "../../src/http/shared/api-error.ts";
import { StatusDocumentSchema } from "../../src/http/status/status-schema.ts";
import { DetokenizeResponseSchema, TokenizeResponseSchema } from "../../src/http/tokenize/tokenize-schema.ts";
import type { ResponseItem as SdkItem, Response as SdkResponse, ResponseStreamEvent as SdkEvent } from "openai/resources/responses/responses";
import { parseSse } from "../helpers/sse.ts";
import { useServer } from "../helpers/start-server.ts";

const ctx = useServer({ args: ["--enable-embeddings-backend"] });

/** The Responses wire schemas' types fit openai-node's own: `bun run typecheck` fails when one stops fitting. */
type Fits<T, U> = [T] extends [U] ? true : false;
export const responsesFitTheSdk: [Fits<ResponseObject, SdkResponse>, Fits<ResponseStreamEvent, SdkEvent>, Fits<InputItemList["data"][number], SdkItem>] = [true, true, true];

function conforms(schema: TSchema, value: unknown): void {
  const errors = [...Value.Errors(schema, value)].slice(0, 3).map((e) => `${e.path}: ${e.message}`);
  expect(errors).toEqual([]);
  expect(Value.Check(schema, value)).toBe(true);
}

async function post(path: string, body: object): Promise<{ status: number; text: string }> {
  const res = await fetch(`${ctx.server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

async function collected(path: string, body: object): Promise<unknown> {
  const r = await post(path, body);
  expect(r.status).toBe(200);
  return JSON.parse(r.text);
}

/** The JSON of every frame but [DONE]. */
async function frames(path: string, body: object): Promise<unknown[]> {
  const r = await post(path, { ...body, stream: true });
  expect(r.status).toBe(200);
  const events = parseSse(r.text);
  expect(events.at(-1)!.data).toBe("[DONE]");
  return events.slice(0, -1).map((e) => JSON.parse(e.data));
}

const CMPL = { model: "test-gpt2", prompt: "Schemas are", max_tokens: 5, temperature: 0 };
const CHAT = { model: "test-chat", messages: [{ role: "user", content: "Hi" }], max_tokens: 5, temperature: 0 };

describe("completions", () => {
  test.each([
    ["plain", {}],
    ["echo with logprobs, two prompts, n 2", { prompt: ["a", "b c"], echo: true, logprobs: 2, n: 2, temperature: 1, seed: 3 }],
    ["best_of", { n: 2, best_of: 3, temperature: 1, seed: 4 }],
    ["scoring a prompt (max_tokens 0, echo, logprobs)", { max_tokens: 0, echo: true, logprobs: 0 }],
  ])("collected: %s", async (_, extra) => {
    conforms(CompletionResponseSchema, await collected("/v1/completions", { ...CMPL, ...extra }));
  });

  test.each([
    ["plain", {}],
    ["echo, logprobs and usage", { echo: true, logprobs: 1, stream_options: { include_usage: true } }],
  ])("streamed: %s", async (_, extra) => {
    const chunks = await frames("/v1/completions", { ...CMPL, ...extra });
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) conforms(CompletionResponseSchema, c);
  });
});

describe("chat", () => {
  test("collected, with logprobs and n 2", async () => {
    conforms(ChatResponseSchema, await collected("/v1/chat/completions", { ...CHAT, logprobs: true, top_logprobs: 2, n: 2, temperature: 1, seed: 5 }));
  });

  test("streamed, with logprobs and usage", async () => {
    const chunks = await frames("/v1/chat/completions", { ...CHAT, logprobs: true, stream_options: { include_usage: true } });
    for (const c of chunks) conforms(ChatChunkSchema, c);
  });

  const TOOLS = [{ type: "function", function: { name: "add", parameters: { type: "object", properties: { a: { type: "integer", minimum: 0, maximum: 9 } }, required: ["a"] } } }];
  test.each([
    ["tool calls (required, finish_reason tool_calls)", { model: "test-hermes", tools: TOOLS, tool_choice: "required", max_tokens: 200 }],
    ["a forced named call with logprobs", { model: "test-llama3", tools: TOOLS, tool_choice: { type: "function", function: { name: "add" } }, max_tokens: 200, logprobs: true }],
    ["a call cut off (length)", { tools: TOOLS, tool_choice: "required", max_tokens: 12 }],
    ["json_schema output", { response_format: { type: "json_schema", json_schema: { name: "n", schema: { type: "object", properties: { a: { type: "boolean" } }, required: ["a"] } } }, max_tokens: 50 }],
  ])("collected and streamed: %s", async (_, extra) => {
    conforms(ChatResponseSchema, await collected("/v1/chat/completions", { ...CHAT, ...extra }));
    for (const c of await frames("/v1/chat/completions", { ...CHAT, ...extra, stream_options: { include_usage: true } })) conforms(ChatChunkSchema, c);
  });
});

describe("responses", () => {
  const RESP = { model: "test-chat", input: "Hi", max_output_tokens: 4, temperature: 0 };

  test.each([
    ["plain (incomplete at max_output_tokens)", {}],
    ["instructions, a message list, metadata and logprobs", { instructions: "Be brief.", input: [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }, { role: "user", content: [{ type: "input_text", text: "Again" }] }], metadata: { a: "b" }, include: ["message.output_text.logprobs"], top_logprobs: 2, user: "u" }],
    ["completed (the model ends its turn)", { logit_bias: { 50258: 100 } }],
    ["a completion-only model's plain prompt", { model: "test-gpt2" }],
  ])("collected: %s", async (_, extra) => {
    conforms(ResponseObjectSchema, await collected("/v1/responses", { ...RESP, ...extra }));
  });

  const FUNCTIONS = [{ type: "function", name: "add", parameters: { type: "object", properties: { a: { type: "integer", minimum: 0, maximum: 9 } }, required: ["a"] }, strict: true }];
  test.each([
    ["function calls (required)", { model: "test-hermes", tools: FUNCTIONS, tool_choice: "required", max_output_tokens: 200 }],
    ["a named function", { tools: FUNCTIONS, tool_choice: { type: "function", name: "add" }, max_output_tokens: 200 }],
    ["json_schema format", { text: { format: { type: "json_schema", name: "n", schema: { type: "object", properties: { a: { type: "boolean" } }, required: ["a"] }, strict: true } }, max_output_tokens: 50 }],
    ["json_object format", { text: { format: { type: "json_object" } }, max_output_tokens: 5 }],
  ])("collected and streamed: %s", async (_, extra) => {
    conforms(ResponseObjectSchema, await collected("/v1/responses", { ...RESP, ...extra }));
    const r = await post("/v1/responses", { ...RESP, ...extra, stream: true });
    for (const e of parseSse(r.text).map((x) => JSON.parse(x.data))) conforms(ResponseStreamEventSchema, e);
  });

  test("streamed, with logprobs: every event", async () => {
    const r = await post("/v1/responses", { ...RESP, stream: true, include: ["message.output_text.logprobs"] });
    const events = parseSse(r.text).map((e) => JSON.parse(e.data));
    expect(events.length).toBeGreaterThan(8);
    for (const e of events) conforms(ResponseStreamEventSchema, e);
  });

  test("retrieve, input_items and delete", async () => {
    const { id } = (await collected("/v1/responses", RESP)) as { id: string };
    conforms(ResponseObjectSchema, await (await fetch(`${ctx.server.url}/v1/responses/${id}`)).json());
    conforms(InputItemListSchema, await (await fetch(`${ctx.server.url}/v1/responses/${id}/input_items`)).json());
    conforms(ResponseDeletedSchema, await (await fetch(`${ctx.server.url}/v1/responses/${id}`, { method: "DELETE" })).json());
    const gone = await fetch(`${ctx.server.url}/v1/responses/${id}`);
    expect(gone.status).toBe(404);
    conforms(ErrorBodySchema, await gone.json());
  });
});

describe("everything else", () => {
  test("the status document", async () => {
    conforms(StatusDocumentSchema, await (await fetch(`${ctx.server.url}/`)).json());
  });

  test("embeddings, as floats and as base64", async () => {
    for (const encoding_format of ["float", "base64"]) {
      conforms(EmbeddingResponseSchema, await collected("/v1/embeddings", { model: "test-embed", input: ["one", "two"], encoding_format }));
    }
  });

  test("the model list and a model's detail (before and after it loads)", async () => {
    conforms(ModelListSchema, await (await fetch(`${ctx.server.url}/v1/models`)).json());
    conforms(ModelDetailSchema, await (await fetch(`${ctx.server.url}/v1/models/test-gpt2`)).json());
    conforms(ModelDetailSchema, await (await fetch(`${ctx.server.url}/v1/models/test-embed`)).json());
    await collected("/v1/completions", CMPL);
    const loaded = await (await fetch(`${ctx.server.url}/v1/models/test-gpt2`)).json();
    conforms(ModelDetailSchema, loaded);
    // Once loaded, an export says what it is (a built checkpoint's detail is checked in test/checkpoints/).
    expect(loaded).toMatchObject({ state: "loaded", format: "onnx", architecture: "gpt2", parameters: null });
  });

  test("tokenize and detokenize", async () => {
    conforms(TokenizeResponseSchema, await collected("/tokenize", { model: "test-gpt2", prompt: "hello there", return_token_strs: true }));
    conforms(DetokenizeResponseSchema, await collected("/detokenize", { model: "test-gpt2", tokens: [31373, 612] }));
  });

  test("error answers, from validation, the engine (model_not_found) and the router", async () => {
    for (const body of [{ ...CMPL, max_tokens: -1 }, { ...CMPL, model: "nope" }, { ...CMPL, n: 999 }]) {
      const r = await post("/v1/completions", body);
      expect(r.status).toBeGreaterThanOrEqual(400);
      conforms(ErrorBodySchema, JSON.parse(r.text));
    }
    const r = await fetch(`${ctx.server.url}/v1/nothing`, { method: "POST" });
    conforms(ErrorBodySchema, await r.json());
  });
});
