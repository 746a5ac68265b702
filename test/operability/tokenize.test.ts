/**
 * POST /tokenize and /detokenize (vLLM's shapes): the ids are the ones generation uses (a completion's
 * prompt_tokens and a chat request's match the counts), text round-trips, ids outside the vocabulary are 400s.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startServer, type TestServer } from "../helpers/start-server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
});

async function post<T>(path: string, body: object): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T };
}

interface Tokenized {
  tokens: number[];
  count: number;
  max_model_len: number;
  token_strs?: string[];
}

const TEXT = "The quick brown fox jumps over the lazy dog. Ünïcödé ✓ 🙂";

test("tokenize → detokenize gives the text back (GPT-2 ids as GPT-2 has them)", async () => {
  const t = await post<Tokenized>("/tokenize", { model: "test-gpt2", prompt: "The quick brown fox jumps over the lazy dog." });
  expect(t.status).toBe(200);
  expect(t.body.tokens).toEqual([464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13]);
  expect(t.body.count).toBe(10);
  expect(t.body.max_model_len).toBe(1024);
  for (const model of ["test-gpt2", "test-chat"]) {
    const tok = await post<Tokenized>("/tokenize", { model, text: TEXT });
    const back = await post<{ prompt: string }>("/detokenize", { model, tokens: tok.body.tokens });
    expect(back.status).toBe(200);
    expect(back.body.prompt).toBe(TEXT);
  }
});

test("the count is the prompt_tokens a completion reports", async () => {
  const t = await post<Tokenized>("/tokenize", { model: "test-gpt2", prompt: TEXT });
  const c = await post<{ usage: { prompt_tokens: number } }>("/v1/completions", { model: "test-gpt2", prompt: TEXT, max_tokens: 1 });
  expect(c.body.usage.prompt_tokens).toBe(t.body.count);
});

test("the chat form counts what a chat request sends the model", async () => {
  const messages = [{ role: "system", content: "Be brief." }, { role: "user", content: "Hello!" }];
  const t = await post<Tokenized>("/tokenize", { model: "test-chat", messages });
  const c = await post<{ usage: { prompt_tokens: number } }>("/v1/chat/completions", { model: "test-chat", messages, max_tokens: 1 });
  expect(t.status).toBe(200);
  expect(c.body.usage.prompt_tokens).toBe(t.body.count);
  expect(t.body.max_model_len).toBe(2048);
  const noTemplate = await post<{ error: { code: string } }>("/tokenize", { model: "test-gpt2", messages });
  expect(noTemplate.status).toBe(400);
});

test("return_token_strs gives each token's text", async () => {
  const t = await post<Tokenized>("/tokenize", { model: "test-gpt2", prompt: "Hello world", return_token_strs: true });
  expect(t.body.token_strs).toEqual(["Hello", " world"]);
});

test("ids outside the vocabulary are a 400 naming the position", async () => {
  for (const bad of [50257, -1, 2 ** 40]) {
    const r = await post<{ error: { param: string; code: string } }>("/detokenize", { model: "test-gpt2", tokens: [15496, bad] });
    expect(r.status).toBe(400);
    expect(r.body.error.param).toBe("tokens[1]");
    expect(r.body.error.code).toBe("invalid_token_id");
  }
});

test("exactly one of prompt, text or messages; an unknown model is a 404", async () => {
  expect((await post("/tokenize", { model: "test-gpt2" })).status).toBe(400);
  expect((await post("/tokenize", { model: "test-gpt2", prompt: "a", text: "b" })).status).toBe(400);
  expect((await post("/tokenize", { model: "nope", prompt: "a" })).status).toBe(404);
  expect((await post("/detokenize", { model: "nope", tokens: [1] })).status).toBe(404);
});
