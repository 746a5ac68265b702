/**
 * Everything a client can get wrong answers an OpenAI error: the right status, exactly
 * {"error": {message, type, param, code}}, the field named, and never a 5xx or a dead server.
 */
import { describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { useServer } from "../helpers/start-server.ts";
import { MODEL, apiError, complete, expectErrorBody, health, postRaw } from "./completion-client.ts";

const ctx = useServer();

describe("models", () => {
  test("an unknown model is a 404 model_not_found naming model", async () => {
    const err = await apiError(complete(ctx.client, { model: "no-such-model", prompt: "x", max_tokens: 1 }));
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.status).toBe(404);
    expect(err.code).toBe("model_not_found");
    expect(err.param).toBe("model");
    const raw = await postRaw(ctx.server.url, { model: "no-such-model", prompt: "x" });
    expect(raw.status).toBe(404);
    expect(raw.headers.get("content-type")).toStartWith("application/json");
    const body = expectErrorBody(raw.text);
    expect(body.error.message).toContain("no-such-model");
    expect(body.error.code).toBe("model_not_found");
  });

  test("an embeddings model cannot serve completions: 400 naming model", async () => {
    const err = await apiError(complete(ctx.client, { model: "test-embed", prompt: "x", max_tokens: 1 }));
    expect(err.status).toBe(400);
    expect(err.param).toBe("model");
  });
});

describe("missing and malformed bodies", () => {
  test("a missing model or prompt is a 400 naming it", async () => {
    for (const [body, param] of [[{ prompt: "x" }, "model"], [{ model: MODEL }, "prompt"]] as const) {
      const raw = await postRaw(ctx.server.url, JSON.stringify(body));
      expect(raw.status).toBe(400);
      const err = expectErrorBody(raw.text).error;
      expect(err.type).toBe("invalid_request_error");
      expect(err.param).toBe(param);
      expect(err.message).toContain(param);
    }
  });

  test("malformed JSON, an empty body and a non-object body are 400s", async () => {
    for (const text of ['{"model": "test-gpt2", "prompt": ', "", "[]", "null", '"a string"', "{'single': 'quotes'}"]) {
      const raw = await postRaw(ctx.server.url, text);
      expect(raw.status).toBe(400);
      expect(expectErrorBody(raw.text).error.type).toBe("invalid_request_error");
    }
  });

  test("a text/plain body is a 400, even when it holds valid JSON", async () => {
    const raw = await postRaw(ctx.server.url, JSON.stringify({ model: MODEL, prompt: "x", max_tokens: 1 }), { "content-type": "text/plain" });
    expect(raw.status).toBe(400);
    expect(expectErrorBody(raw.text).error.message.toLowerCase()).toContain("content-type");
  });

  test("a body just over the 4 MiB limit (MAX_BODY_BYTES) is a 413 OpenAI error", async () => {
    const raw = await postRaw(ctx.server.url, { prompt: "x".repeat(4 * 1024 * 1024) });
    expect(raw.status).toBe(413);
    expect(expectErrorBody(raw.text).error.code).toBe("request_too_large");
  });

  // Bodies over the limit are read on and dropped up to discardLimit() (src/http/shared/bounded-body.ts), so a
  // client that uploads everything before reading gets the JSON 413 rather than Bun's bare one or a reset.
  test("a body far over the limit is a 413 OpenAI error too", async () => {
    const raw = await postRaw(ctx.server.url, { prompt: "x".repeat(5 * 1024 * 1024) });
    expect(raw.status).toBe(413);
    expect(expectErrorBody(raw.text).error.code).toBe("request_too_large");
  });

  test("an unknown route is a 404 OpenAI error", async () => {
    const res = await fetch(`${ctx.server.url}/v1/nothing-here`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(404);
    expectErrorBody(await res.text());
  });
});

describe("wrong types and out-of-range values name the parameter", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["max_tokens as a string", { max_tokens: "x" }, "max_tokens"],
    ["negative max_tokens", { max_tokens: -1 }, "max_tokens"],
    ["temperature as a string", { temperature: "hot" }, "temperature"],
    ["n = 0", { n: 0 }, "n"],
    ["fractional n", { n: 1.5 }, "n"],
    ["echo as a string", { echo: "yes" }, "echo"],
    ["stream as a string", { stream: "true" }, "stream"],
    ["logprobs as a string", { logprobs: "2" }, "logprobs"],
    ["seed as a string", { seed: "abc" }, "seed"],
    ["user as a number", { user: 5 }, "user"],
    ["top_k fractional", { top_k: 1.5 }, "top_k"],
    ["ignore_eos as a number", { ignore_eos: 1 }, "ignore_eos"],
    ["logit_bias as a string", { logit_bias: "x" }, "logit_bias"],
    ["prompt as a number", { prompt: 5 }, "prompt"],
    ["prompt mixing ids and strings", { prompt: [1, "a"] }, "prompt"],
    ["stop list of numbers", { stop: [1] }, "stop"],
    ["model as a number", { model: 7 }, "model"],
  ];
  for (const [name, patch, param] of cases) {
    test(name, async () => {
      const raw = await postRaw(ctx.server.url, { prompt: "x", max_tokens: 1, ...patch });
      expect(raw.status).toBe(400);
      const err = expectErrorBody(raw.text).error;
      expect(err.type).toBe("invalid_request_error");
      expect(err.param).toStartWith(param);
    });
  }

  test("stream_options of the wrong shape is a 400 naming stream_options", async () => {
    const raw = await postRaw(ctx.server.url, { prompt: "x", max_tokens: 1, stream: true, stream_options: { include_usage: "yes" } });
    expect(raw.status).toBe(400);
    expect(expectErrorBody(raw.text).error.param).toStartWith("stream_options");
  });
});

describe("robustness", () => {
  test("explicit nulls for every optional parameter are the defaults (the SDKs send them)", async () => {
    const nulls = Object.fromEntries(
      ["max_tokens", "temperature", "top_p", "n", "stop", "seed", "presence_penalty", "frequency_penalty", "logit_bias", "user", "stream", "stream_options", "top_k", "min_p", "repetition_penalty", "ignore_eos", "best_of", "echo", "logprobs", "suffix"].map((k) => [k, null]),
    );
    const raw = await postRaw(ctx.server.url, { prompt: "nulls", ...nulls });
    expect(raw.status).toBe(200);
    const body = JSON.parse(raw.text) as OpenAI.Completion;
    expect(body.usage!.completion_tokens).toBeLessThanOrEqual(16);
    expect(body.choices[0]!.logprobs).toBeNull();
  });

  test("odd but well-formed requests never produce a 5xx, and the server stays up", async () => {
    const bodies: unknown[] = [
      { model: MODEL, prompt: "x", max_tokens: 2 ** 53 },
      { model: MODEL, prompt: "x", max_tokens: 1, seed: -(2 ** 53) },
      { model: MODEL, prompt: "x", max_tokens: 1, logit_bias: { "1": -100, "2": 100, "3": 0 } },
      { model: MODEL, prompt: "x", max_tokens: 1, stop: ["", ""] },
      { model: MODEL, prompt: "x", max_tokens: 1, n: 2, best_of: 2 },
      { model: MODEL, prompt: [[50256]], max_tokens: 1 },
      { model: MODEL, prompt: "\u0000\ud800 lone surrogate", max_tokens: 1 },
      { model: MODEL, prompt: "x", max_tokens: 1, temperature: 0, top_p: 0, min_p: 0, top_k: 0 },
      { model: MODEL, prompt: "x", max_tokens: 1, extra_field: { nested: [1, 2, 3] } },
      { model: "", prompt: "x" },
      { model: "x".repeat(300), prompt: "x" },
      { model: MODEL, prompt: Array(100).fill("x") },
      { model: MODEL, prompt: "x", max_tokens: 1, logit_bias: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [String(i), 1])) },
    ];
    for (const body of bodies) {
      const raw = await postRaw(ctx.server.url, JSON.stringify(body));
      expect(raw.status).toBeLessThan(500);
      if (raw.status >= 400) expectErrorBody(raw.text);
    }
    expect((await health(ctx.server.url)).status).toBe("ok");
  });
});
