/**
 * Inputs that look hostile but are valid must be served, not refused or crashed on: lone surrogates, NULs and
 * emoji in prompts and stop strings, unknown fields, prototype-named keys, empty prompts where OpenAI allows them.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startServer, type TestServer } from "../helpers/start-server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ env: { ENABLE_EMBEDDINGS_BACKEND: "true" } });
});

afterAll(async () => {
  await server?.stop();
});

async function post(path: string, text: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: text });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const CASES: [string, string, string][] = [
  ["empty prompt (a new document)", "/v1/completions", '{"model":"test-gpt2","prompt":"","max_tokens":1}'],
  ["unicode, NUL and lone surrogates in stop", "/v1/completions", '{"model":"test-gpt2","prompt":"Hi","max_tokens":2,"stop":["\\ud83d\\ude00","é","\\u0000","\\ud800"]}'],
  ["lone surrogates in the prompt", "/v1/completions", '{"model":"test-gpt2","prompt":"a\\ud800b\\udc00","max_tokens":1}'],
  ["unknown and prototype-named fields", "/v1/completions", '{"model":"test-gpt2","prompt":"x","max_tokens":1,"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"unknown":{"a":[[[1]]]}}'],
  ["extreme but legal logit_bias", "/v1/completions", '{"model":"test-gpt2","prompt":"x","max_tokens":1,"logit_bias":{"50256":-100,"0":100}}'],
  ["text content parts", "/v1/chat/completions", '{"model":"test-chat","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"\\u0000🙂"}]}],"max_tokens":1}'],
  ["NUL and emoji embeddings", "/v1/embeddings", '{"model":"test-embed","input":["\\u0000","🙂"]}'],
  ["empty prompt tokenized", "/tokenize", '{"model":"test-gpt2","prompt":"","add_special_tokens":false}'],
  ["no tokens detokenized", "/detokenize", '{"model":"test-gpt2","tokens":[]}'],
];

for (const [name, path, text] of CASES) {
  test(`${name}: 200`, async () => {
    const { status, body } = await post(path, text);
    expect(status).toBe(200);
    expect(body.error).toBeUndefined();
  });
}

test("no prototype was polluted: a body without a model is still refused", async () => {
  const { status, body } = await post("/v1/completions", '{"prompt":"x"}');
  expect(status).toBe(400);
  expect((body.error as { param: string }).param).toBe("model");
});
