/**
 * /v1/completions through the official client: every prompt form, max_tokens, n and best_of, and usage that
 * matches the model's own tokenizer (and tiktoken's gpt2 encoding, which the test-gpt2 entry names).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import * as path from "node:path";
import { AutoTokenizer, env as transformersEnv, type PreTrainedTokenizer } from "@huggingface/transformers";
import type OpenAI from "openai";
import type { Tiktoken } from "tiktoken";
import { getTiktokenEncoding } from "../../src/platform/tiktoken.ts";
import { useServer } from "../helpers/start-server.ts";
import { CONTEXT, MODEL, apiError, complete, expectErrorBody, postRaw } from "./completion-client.ts";

transformersEnv.allowRemoteModels = false;

const ctx = useServer();
let tokenizer: PreTrainedTokenizer;
let tiktoken: Tiktoken;

beforeAll(async () => {
  tokenizer = await AutoTokenizer.from_pretrained(path.join(process.env.TEST_MODELS_DIR!, "test-gpt2"));
  // The server's own loader: the default "tiktoken" entry and "tiktoken/init" cannot share one test process.
  tiktoken = await getTiktokenEncoding("gpt2");
});

const count = (text: string) => tokenizer.encode(text, { add_special_tokens: false }).length;

/** Greedy text of one prompt, alone in its request: what every batched or re-shaped form must reproduce. */
async function greedy(prompt: string | number[], maxTokens: number): Promise<string> {
  const r = await complete(ctx.client, { prompt, max_tokens: maxTokens, temperature: 0 });
  return r.choices[0]!.text;
}

describe("prompt forms", () => {
  test("a string prompt: one choice, index 0, the OpenAI envelope and exact usage", async () => {
    const prompt = "The quick brown fox jumps over the lazy dog.";
    const r = await complete(ctx.client, { prompt, max_tokens: 4, temperature: 0, ignore_eos: true });
    expect(r.object).toBe("text_completion");
    expect(r.id).toMatch(/^cmpl-\w+$/);
    expect(r.model).toBe(MODEL);
    expect(Number.isInteger(r.created)).toBe(true);
    expect(Math.abs(r.created - Date.now() / 1000)).toBeLessThan(600);
    expect(r.choices).toHaveLength(1);
    expect(r.choices[0]!.index).toBe(0);
    expect(r.choices[0]!.text.length).toBeGreaterThan(0);
    expect(r.choices[0]!.logprobs).toBeNull();
    expect(r.usage).toEqual({ prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 });
  });

  test("string[]: one choice per prompt, in order, each what the prompt alone gives; usage adds the prompts", async () => {
    const prompts = ["Hello world", "Once upon a time", "1, 2, 3,"];
    const alone = await Promise.all(prompts.map((p) => greedy(p, 5)));
    const r = await complete(ctx.client, { prompt: prompts, max_tokens: 5, temperature: 0, ignore_eos: true });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(r.choices.map((c) => c.text)).toEqual(alone);
    const promptTokens = prompts.reduce((s, p) => s + count(p), 0);
    expect(r.usage).toEqual({ prompt_tokens: promptTokens, completion_tokens: 15, total_tokens: promptTokens + 15 });
  });

  test("a token-id array is the same prompt as its text", async () => {
    const text = "Token ids and text agree";
    const ids = tokenizer.encode(text, { add_special_tokens: false });
    const r = await complete(ctx.client, { prompt: ids, max_tokens: 6, temperature: 0 });
    expect(r.choices).toHaveLength(1);
    expect(r.choices[0]!.text).toBe(await greedy(text, 6));
    expect(r.usage!.prompt_tokens).toBe(ids.length);
  });

  test("an array of token-id arrays, n = 2: choices indexed prompt * n + j, each prompt counted once", async () => {
    const a = tokenizer.encode("First prompt", { add_special_tokens: false });
    const b = tokenizer.encode("The second, longer prompt here", { add_special_tokens: false });
    const [ga, gb] = await Promise.all([greedy(a, 3), greedy(b, 3)]);
    const r = await complete(ctx.client, { prompt: [a, b], n: 2, max_tokens: 3, temperature: 0, ignore_eos: true });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2, 3]);
    expect(r.choices.map((c) => c.text)).toEqual([ga, ga, gb, gb]);
    expect(r.usage).toEqual({ prompt_tokens: a.length + b.length, completion_tokens: 12, total_tokens: a.length + b.length + 12 });
  });

  test("an out-of-vocabulary id in a flat token-id prompt is located at prompt[i]", async () => {
    const err = await apiError(complete(ctx.client, { prompt: [464, 50257], max_tokens: 1 }));
    expect(err.status).toBe(400);
    expect(err.param).toBe("prompt");
    expect(err.message).toContain("prompt[1]");
  });

  test("an empty string prompt starts a new document (<|endoftext|>, one prompt token)", async () => {
    const r = await complete(ctx.client, { prompt: "", max_tokens: 2, temperature: 0 });
    expect(r.usage!.prompt_tokens).toBe(1);
    expect(r.choices[0]!.text).toBe(await greedy([50256], 2));
  });

  test("token ids outside the vocabulary, and empty token lists, are 400s naming the prompt", async () => {
    for (const prompt of [[464, 50257], [-1], [[464], [70000]]]) {
      const err = await apiError(complete(ctx.client, { prompt, max_tokens: 1 }));
      expect(err.status).toBe(400);
      expect(err.param).toStartWith("prompt");
      expect(err.message).toContain(prompt.flat().find((id) => id < 0 || id >= 50257)!.toString());
    }
    const empty = await apiError(complete(ctx.client, { prompt: [[464], []], max_tokens: 1 }));
    expect(empty.status).toBe(400);
    expect(empty.param).toBe("prompt[1]");
    const none = await apiError(complete(ctx.client, { prompt: [], max_tokens: 1 }));
    expect(none.status).toBe(400);
    expect(none.param).toBe("prompt");
  });
});

describe("max_tokens", () => {
  test("defaults to 16", async () => {
    const r = await complete(ctx.client, { prompt: "Default length", temperature: 0, ignore_eos: true });
    expect(r.usage!.completion_tokens).toBe(16);
    expect(r.choices[0]!.finish_reason).toBe("length");
  });

  test("generates exactly max_tokens and reports finish_reason length", async () => {
    for (const maxTokens of [1, 7]) {
      const r = await complete(ctx.client, { prompt: "Count the tokens", max_tokens: maxTokens, temperature: 0 });
      expect(r.choices[0]!.finish_reason).toBe("length");
      expect(r.usage!.completion_tokens).toBe(maxTokens);
      expect(tokenizer.encode(r.choices[0]!.text, { add_special_tokens: false }).length).toBeLessThanOrEqual(maxTokens + 1);
    }
  });

  test("max_tokens 0 with echo and logprobs scores the prompt without generating (lm-eval loglikelihood)", async () => {
    const prompt = "Paris is the capital of France";
    const ids = tokenizer.encode(prompt, { add_special_tokens: false });
    const r = await complete(ctx.client, { prompt, max_tokens: 0, echo: true, logprobs: 0 });
    const c = r.choices[0]!;
    expect(c.text).toBe(prompt);
    expect(r.usage).toEqual({ prompt_tokens: ids.length, completion_tokens: 0, total_tokens: ids.length });
    const lp = c.logprobs!;
    expect(lp.tokens).toEqual(ids.map((id) => tokenizer.decode([id])));
    expect(lp.token_logprobs).toHaveLength(ids.length);
    expect(lp.token_logprobs![0]).toBeNull();
    for (const v of lp.token_logprobs!.slice(1)) {
      expect(v).toBeNumber();
      expect(v).toBeLessThanOrEqual(0);
    }
    expect(lp.top_logprobs![0]).toBeNull();
    expect(lp.text_offset).toEqual(ids.map((_, i) => (i === 0 ? 0 : tokenizer.decode(ids.slice(0, i)).length)));
  });

  test("a scored continuation has the logprob the model gave it when generating it", async () => {
    const ids = tokenizer.encode("The meaning of life is", { add_special_tokens: false });
    const gen = await complete(ctx.client, { prompt: ids, max_tokens: 2, temperature: 0, logprobs: 0 });
    const generated = gen.choices[0]!.logprobs!;
    const nextIds = tokenizer.encode(gen.choices[0]!.text, { add_special_tokens: false });
    const scored = await complete(ctx.client, { prompt: [...ids, ...nextIds], max_tokens: 0, echo: true, logprobs: 0 });
    const tail = scored.choices[0]!.logprobs!.token_logprobs!.slice(ids.length);
    expect(tail).toHaveLength(2);
    tail.forEach((v, i) => expect(v).toBeCloseTo(generated.token_logprobs![i]!, 3));
  });
});

describe("n and best_of", () => {
  test("n choices, sampled independently, the prompt counted once", async () => {
    const prompt = "Three different endings";
    const r = await complete(ctx.client, { prompt, n: 3, max_tokens: 8, temperature: 1, seed: 11, ignore_eos: true });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(new Set(r.choices.map((c) => c.text)).size).toBeGreaterThan(1);
    expect(r.usage).toEqual({ prompt_tokens: count(prompt), completion_tokens: 24, total_tokens: count(prompt) + 24 });
  });

  test("best_of returns the n candidates with the highest mean token logprob", async () => {
    const body = { prompt: "Pick the best", max_tokens: 6, temperature: 1, seed: 1234, ignore_eos: true, logprobs: 0 };
    // The candidates best_of draws are the n = 4 choices of the same seeded request.
    const all = await complete(ctx.client, { ...body, n: 4 });
    const mean = (c: OpenAI.CompletionChoice) => c.logprobs!.token_logprobs!.reduce((s, v) => s + v, 0) / c.logprobs!.token_logprobs!.length;
    const ranked = [...all.choices].sort((x, y) => mean(y) - mean(x)).map((c) => c.text);
    const best = await complete(ctx.client, { ...body, n: 2, best_of: 4 });
    expect(best.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(best.choices.map((c) => c.text)).toEqual(ranked.slice(0, 2));
    expect(best.usage!.prompt_tokens).toBe(count(body.prompt));
  });

  test("best_of smaller than n, or with stream, is refused naming best_of", async () => {
    const small = await apiError(complete(ctx.client, { prompt: "x", n: 3, best_of: 2, max_tokens: 1 }));
    expect(small.status).toBe(400);
    expect(small.param).toBe("best_of");
    const streamed = await postRaw(ctx.server.url, { prompt: "x", n: 1, best_of: 2, max_tokens: 1, stream: true });
    expect(streamed.status).toBe(400);
    expect(expectErrorBody(streamed.text).error.param).toBe("best_of");
  });

  test("n above the server's MAX_N (16) is refused naming n", async () => {
    const err = await apiError(complete(ctx.client, { prompt: "x", n: 17, max_tokens: 1 }));
    expect(err.status).toBe(400);
    expect(err.param).toBe("n");
  });
});

describe("usage is exact", () => {
  const texts = [
    "plain ASCII text, with punctuation!",
    "emoji 👩‍👩‍👧‍👦 🇺🇳 😀!!",
    "CJK 日本語のテキスト、中文字符和한국어",
    "  leading spaces,\ttabs,\nnew lines\r\n and trailing   ",
    "one document<|endoftext|>and the next",
  ];

  test("prompt_tokens is the model tokenizer's count, and tiktoken gpt2 gives the same count", async () => {
    const r = await complete(ctx.client, { prompt: texts, max_tokens: 1 });
    const single = await Promise.all(texts.map((t) => complete(ctx.client, { prompt: t, max_tokens: 1 })));
    texts.forEach((t, i) => {
      expect(single[i]!.usage!.prompt_tokens).toBe(count(t));
      // The model's tokenizer reads <|endoftext|> in text as the special token, so tiktoken must allow it too.
      expect(tiktoken.encode(t, "all").length).toBe(count(t));
    });
    expect(r.usage!.prompt_tokens).toBe(texts.reduce((s, t) => s + count(t), 0));
  });

  test("completion_tokens counts the generated tokens (one per logprobs entry)", async () => {
    const r = await complete(ctx.client, { prompt: texts[1]!, max_tokens: 9, temperature: 0, logprobs: 0 });
    expect(r.usage!.completion_tokens).toBe(r.choices[0]!.logprobs!.tokens!.length);
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
  });
});

describe("context length", () => {
  const longIds = Array.from({ length: 1000 }, (_, i) => 100 + (i % 500));

  test("prompt + max_tokens over the 1024-token context is a 400 context_length_exceeded with both numbers", async () => {
    const err = await apiError(complete(ctx.client, { prompt: longIds, max_tokens: 25 }));
    expect(err.status).toBe(400);
    expect(err.type).toBe("invalid_request_error");
    expect(err.code).toBe("context_length_exceeded");
    expect(err.message).toContain(String(CONTEXT));
    expect(err.message).toContain("1025");
    expect(err.message).toContain("1000");
  });

  test("a long string prompt is refused, not truncated, even with the default max_tokens", async () => {
    const raw = await postRaw(ctx.server.url, { prompt: " hello".repeat(1020) });
    expect(raw.status).toBe(400);
    const body = expectErrorBody(raw.text);
    expect(body.error.code).toBe("context_length_exceeded");
    expect(body.error.message).toContain("1020");
    expect(body.error.message).toContain(String(CONTEXT));
  });

  test("a prompt that exactly fills the context with max_tokens is served in full", async () => {
    const r = await complete(ctx.client, { prompt: longIds, max_tokens: 24, temperature: 0, ignore_eos: true });
    expect(r.usage).toEqual({ prompt_tokens: 1000, completion_tokens: 24, total_tokens: 1024 });
    expect(r.choices[0]!.finish_reason).toBe("length");
  });
});
