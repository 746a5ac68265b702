/**
 * Every request limit answers a 400 that names the field and says what the limit is. The server runs with
 * small MAX_N / MAX_PROMPTS_PER_REQUEST / MAX_EMBEDDING_INPUTS so the settings are seen to apply.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startServer, type TestServer } from "../helpers/start-server.ts";
import { errorShapeProblem } from "./openai-error-shape.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    args: ["--max-n", "4", "--max-prompts", "3", "--max-embedding-inputs", "5"],
    env: { ENABLE_EMBEDDINGS_BACKEND: "true" },
  });
});

afterAll(async () => {
  await server?.stop();
});

const CMPL = { model: "test-gpt2", prompt: "x", max_tokens: 1 };
const CHAT = { model: "test-chat", messages: [{ role: "user", content: "x" }], max_tokens: 1 };

interface Limit {
  name: string;
  path: string;
  body: object;
  param: string;
  /** Words the message must contain, so the client learns the limit. */
  says: string[];
}

const LIMITS: Limit[] = [
  { name: "n over MAX_N", path: "/v1/completions", body: { ...CMPL, n: 5 }, param: "n", says: ["4", "MAX_N"] },
  { name: "chat n over MAX_N", path: "/v1/chat/completions", body: { ...CHAT, n: 5 }, param: "n", says: ["4", "MAX_N"] },
  { name: "best_of over MAX_N", path: "/v1/completions", body: { ...CMPL, best_of: 5 }, param: "best_of", says: ["4"] },
  { name: "best_of below n", path: "/v1/completions", body: { ...CMPL, n: 3, best_of: 2 }, param: "best_of", says: ["at least"] },
  { name: "n below 1", path: "/v1/completions", body: { ...CMPL, n: 0 }, param: "n", says: ["greater or equal to 1"] },
  { name: "max_tokens past the context", path: "/v1/completions", body: { ...CMPL, max_tokens: 5000 }, param: "max_tokens", says: ["1024", "5000"] },
  { name: "max_tokens negative", path: "/v1/completions", body: { ...CMPL, max_tokens: -1 }, param: "max_tokens", says: ["greater or equal to 0"] },
  { name: "huge max_tokens", path: "/v1/completions", body: { ...CMPL, max_tokens: 1e300 }, param: "max_tokens", says: ["context length"] },
  { name: "chat max_completion_tokens past the context", path: "/v1/chat/completions", body: { ...CHAT, max_completion_tokens: 5000 }, param: "max_completion_tokens", says: ["2048"] },
  { name: "too many stop sequences", path: "/v1/completions", body: { ...CMPL, stop: ["a", "b", "c", "d", "e"] }, param: "stop", says: ["at most"] },
  { name: "a stop sequence too long", path: "/v1/completions", body: { ...CMPL, stop: ["a", "b".repeat(600)] }, param: "stop[1]", says: ["512"] },
  { name: "logprobs over 5", path: "/v1/completions", body: { ...CMPL, logprobs: 6 }, param: "logprobs", says: ["less or equal to 5"] },
  { name: "top_logprobs over 20", path: "/v1/chat/completions", body: { ...CHAT, logprobs: true, top_logprobs: 21 }, param: "top_logprobs", says: ["less or equal to 20"] },
  { name: "logit_bias with too many entries", path: "/v1/completions", body: { ...CMPL, logit_bias: Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [String(i), 1])) }, param: "logit_bias", says: ["1024"] },
  { name: "logit_bias value over 100", path: "/v1/completions", body: { ...CMPL, logit_bias: { "5": 101 } }, param: "logit_bias", says: ["100"] },
  { name: "logit_bias key not a token", path: "/v1/completions", body: { ...CMPL, logit_bias: { "99999": 1 } }, param: "logit_bias", says: ["99999"] },
  { name: "too many prompts", path: "/v1/completions", body: { ...CMPL, prompt: ["a", "b", "c", "d"] }, param: "prompt", says: ["3", "MAX_PROMPTS_PER_REQUEST"] },
  { name: "too many embedding inputs", path: "/v1/embeddings", body: { model: "test-embed", input: ["a", "b", "c", "d", "e", "f"] }, param: "input", says: ["5", "MAX_EMBEDDING_INPUTS"] },
  { name: "an embedding input past the context", path: "/v1/embeddings", body: { model: "test-embed", input: [Array.from({ length: 600 }, () => 5)] }, param: "input[0]", says: ["512"] },
  { name: "temperature out of range", path: "/v1/completions", body: { ...CMPL, temperature: 1e308 }, param: "temperature", says: ["less or equal to 2"] },
  { name: "a model name too long", path: "/v1/completions", body: { ...CMPL, model: "m".repeat(300) }, param: "model", says: ["256"] },
  { name: "token id outside the vocabulary", path: "/v1/completions", body: { ...CMPL, prompt: [50257] }, param: "prompt", says: ["50257"] },
  { name: "detokenize id outside the vocabulary", path: "/detokenize", body: { model: "test-gpt2", tokens: [1, 50257] }, param: "tokens[1]", says: ["50257"] },
];

for (const l of LIMITS) {
  test(`${l.name}: 400 naming '${l.param}'`, async () => {
    const res = await fetch(`${server.url}${l.path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(l.body) });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(errorShapeProblem(text)).toBeNull();
    const err = JSON.parse(text).error as { param: string; message: string; type: string };
    expect(err.type).toBe("invalid_request_error");
    expect(err.param).toBe(l.param);
    for (const word of l.says) expect(err.message).toContain(word);
    expect(err.message).not.toContain("union");
  });
}
