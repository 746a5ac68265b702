/**
 * What /v1/embeddings refuses, and what the embeddings model refuses elsewhere: 400s naming the field (or the
 * input's index, or the model's task), and the structured 501 when the backend is switched off.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { chat, COMPLETION_MODEL, EMBED_MODEL, expectRefused, postJson, type ErrorBody } from "../chat/chat-kit.ts";
import { openaiClient, startServer, type TestServer } from "../helpers/start-server.ts";

let server: TestServer;
let disabled: TestServer;
let client: OpenAI;
let disabledClient: OpenAI;

beforeAll(async () => {
  [server, disabled] = await Promise.all([
    startServer({ env: { ENABLE_EMBEDDINGS_BACKEND: "true" } }),
    startServer({ env: { ENABLE_EMBEDDINGS_BACKEND: "false" } }),
  ]);
  client = openaiClient(server.baseURL);
  disabledClient = openaiClient(disabled.baseURL);
});
afterAll(async () => {
  await Promise.all([server?.stop(), disabled?.stop()]);
});

const embed = (input: string | string[] | number[] | number[][], extra: { dimensions?: number; model?: string } = {}) =>
  client.embeddings.create({ model: EMBED_MODEL, input, encoding_format: "float", ...extra });

describe("bad input → 400 naming it", () => {
  test("an empty string or an empty array", async () => {
    await expectRefused(embed(""), { status: 400, param: "input" });
    await expectRefused(embed([]), { status: 400, param: "input" });
    await expectRefused(embed(["fine", ""]), { status: 400, param: "input[1]" });
    await expectRefused(embed([[1, 2], []]), { status: 400, param: "input[1]" });
  });

  test("an input longer than the model's 512-token context names its index", async () => {
    const tooLong = Array.from({ length: 513 }, (_, i) => 200 + i);
    const err = await expectRefused(embed([[1, 2, 3], tooLong]), { status: 400, param: "input[1]", code: "context_length_exceeded" });
    expect(err.message).toContain("input[1]");
    expect(err.message).toContain("512");

    // Text that tokenizes past the context too.
    await expectRefused(embed(["short", "ok", " hello".repeat(600)]), { status: 400, param: "input[2]", code: "context_length_exceeded" });
  });

  test("dimensions larger than the model's width (64), or below 1", async () => {
    const err = await expectRefused(embed("hi", { dimensions: 65 }), { status: 400, param: "dimensions" });
    expect(err.message).toContain("64");
    await expectRefused(embed("hi", { dimensions: 0 }), { status: 400, param: "dimensions" });
  });

  test("an unknown encoding_format or a token id outside the vocabulary", async () => {
    const res = await postJson(server.url, "/v1/embeddings", { model: EMBED_MODEL, input: "hi", encoding_format: "float16" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.param).toBe("encoding_format");
    await expectRefused(embed([[1, 2, 999_999]]), { status: 400, param: "input[0]" });
  });
});

describe("wrong task → 400 naming the model's task", () => {
  test("a text-generation model asked for embeddings", async () => {
    await expectRefused(embed("hi", { model: COMPLETION_MODEL }), { status: 400, param: "model", message: [/text-generation/, /test-gpt2/] });
  });

  test("the embeddings model asked for completions or chat", async () => {
    await expectRefused(client.completions.create({ model: EMBED_MODEL, prompt: "hi", max_tokens: 1 }), {
      status: 400,
      param: "model",
      message: [/embeddings/, /test-embed/],
    });
    await expectRefused(chat(client, { model: EMBED_MODEL, messages: [{ role: "user", content: "hi" }], max_tokens: 1 }), {
      status: 400,
      param: "model",
      message: [/embeddings/, /test-embed/],
    });
  });

  test("an unknown model → 404 model_not_found", async () => {
    await expectRefused(embed("hi", { model: "no-such-embedder" }), { status: 404, param: "model", code: "model_not_found" });
  });
});

describe("ENABLE_EMBEDDINGS_BACKEND=false", () => {
  test("every embeddings request gets the structured 501 with guidance", async () => {
    for (const input of ["hi", ["a", "b"]]) {
      await expectRefused(disabledClient.embeddings.create({ model: EMBED_MODEL, input }), {
        status: 501,
        type: "not_implemented_error",
        code: "embeddings_backend_unavailable",
        message: [/ENABLE_EMBEDDINGS_BACKEND/],
      });
    }
    // Even for a request that would be invalid otherwise, and on the wire exactly {error: {...}}.
    const res = await postJson(disabled.url, "/v1/embeddings", { model: COMPLETION_MODEL, input: "" });
    expect(res.status).toBe(501);
    const body = (await res.json()) as ErrorBody;
    expect(Object.keys(body)).toEqual(["error"]);
    expect(body.error.type).toBe("not_implemented_error");
    expect(body.error.code).toBe("embeddings_backend_unavailable");
  });

  test("the rest of the server still works", async () => {
    const res = await disabledClient.completions.create({ model: COMPLETION_MODEL, prompt: "hi", max_tokens: 1 });
    expect(res.choices).toHaveLength(1);
  });
});
