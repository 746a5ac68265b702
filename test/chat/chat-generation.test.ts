/**
 * Chat generation on test-chat through the official client: end-of-turn stopping, length limits, sampling
 * determinism, n, stop strings and the chat logprobs shape.
 */
import { describe, expect, test } from "bun:test";
import { useServer } from "../helpers/start-server.ts";
import { chat, contentOf, expectRefused, IM_END_ID } from "./chat-kit.ts";

const ctx = useServer();

const messages = [
  { role: "system" as const, content: "You answer in one word." },
  { role: "user" as const, content: "What is the capital of France?" },
];
/** Forces `<|im_end|>`, the template's end-of-turn token, as the next token. */
const FORCE_END_OF_TURN = { [String(IM_END_ID)]: 100 };

describe("end-of-turn stopping", () => {
  test("generation stops at <|im_end|>: finish_reason stop, empty content, one completion token", async () => {
    const res = await chat(ctx.client, { messages, max_tokens: 8, logit_bias: FORCE_END_OF_TURN, logprobs: true });
    const choice = res.choices[0]!;
    expect(choice.finish_reason).toBe("stop");
    expect(choice.message.content).toBe("");
    expect(res.usage?.completion_tokens).toBe(1);
    // The end-of-turn token is not part of the text, but logprobs show what was generated.
    expect(choice.logprobs?.content?.map((t) => t.token)).toEqual(["<|im_end|>"]);
  });

  test("with ignore_eos the end-of-turn token does not stop generation: it runs to max_tokens", async () => {
    const res = await chat(ctx.client, { messages, max_tokens: 5, logit_bias: FORCE_END_OF_TURN, ignore_eos: true });
    expect(res.choices[0]!.finish_reason).toBe("length");
    expect(res.usage?.completion_tokens).toBe(5);
  });
});

describe("length limits", () => {
  test("max_completion_tokens is honoured", async () => {
    const res = await chat(ctx.client, { messages, max_completion_tokens: 3, temperature: 0, ignore_eos: true });
    expect(res.usage?.completion_tokens).toBe(3);
    expect(res.choices[0]!.finish_reason).toBe("length");
  });

  test("max_tokens (the older name) is honoured", async () => {
    const res = await chat(ctx.client, { messages, max_tokens: 4, temperature: 0, ignore_eos: true });
    expect(res.usage?.completion_tokens).toBe(4);
    expect(res.choices[0]!.finish_reason).toBe("length");
  });

  test("when both are given, max_completion_tokens wins", async () => {
    const res = await chat(ctx.client, { messages, max_tokens: 6, max_completion_tokens: 2, temperature: 0, ignore_eos: true });
    expect(res.usage?.completion_tokens).toBe(2);
  });

  test("a prompt plus max_tokens beyond the 2048-token context → 400 context_length_exceeded", async () => {
    await expectRefused(chat(ctx.client, { messages, max_tokens: 2048 }), { status: 400, param: "max_tokens", code: "context_length_exceeded" });
  });
});

describe("sampling", () => {
  test("temperature 0 is deterministic", async () => {
    const a = await chat(ctx.client, { messages, max_tokens: 8, temperature: 0, ignore_eos: true });
    const b = await chat(ctx.client, { messages, max_tokens: 8, temperature: 0, ignore_eos: true });
    expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
    expect(contentOf(a).length).toBeGreaterThan(0);
  });

  test("the same seed repeats a sampled answer; another seed gives another one", async () => {
    const params = { messages, max_tokens: 10, temperature: 1, ignore_eos: true } as const;
    const a = await chat(ctx.client, { ...params, seed: 1234 });
    const b = await chat(ctx.client, { ...params, seed: 1234 });
    const c = await chat(ctx.client, { ...params, seed: 98765 });
    expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
    expect(c.choices[0]!.message.content).not.toBe(a.choices[0]!.message.content);
  });

  test("the other sampling parameters and extensions are accepted", async () => {
    const res = await chat(ctx.client, {
      messages,
      max_tokens: 3,
      temperature: 0.7,
      top_p: 0.9,
      top_k: 40,
      min_p: 0.01,
      presence_penalty: 0.5,
      frequency_penalty: 0.5,
      repetition_penalty: 1.1,
      seed: 5,
      user: "test-user",
      ignore_eos: true,
    });
    expect(res.usage?.completion_tokens).toBe(3);
  });
});

describe("n", () => {
  test("n choices with indexes 0..n-1; usage counts every choice's tokens", async () => {
    const res = await chat(ctx.client, { messages, n: 3, max_tokens: 6, temperature: 1, seed: 7, ignore_eos: true });
    expect(res.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    for (const c of res.choices) {
      expect(c.message.role).toBe("assistant");
      expect(c.finish_reason).toBe("length");
    }
    expect(res.usage?.completion_tokens).toBe(18);
    // Sampled choices are independent draws, not copies of one another.
    expect(new Set(res.choices.map((c) => c.message.content)).size).toBeGreaterThan(1);
  });

  test("at temperature 0 every choice is the greedy answer", async () => {
    const res = await chat(ctx.client, { messages, n: 2, max_tokens: 5, temperature: 0, ignore_eos: true });
    const single = await chat(ctx.client, { messages, max_tokens: 5, temperature: 0, ignore_eos: true });
    expect(res.choices.map((c) => c.message.content)).toEqual([single.choices[0]!.message.content, single.choices[0]!.message.content]);
    // The prompt is counted once, the completions per choice.
    expect(res.usage?.prompt_tokens).toBe(single.usage?.prompt_tokens);
    expect(res.usage?.completion_tokens).toBe(10);
  });
});

describe("stop strings", () => {
  test("the answer ends before the first stop string, finish_reason stop", async () => {
    const full = await chat(ctx.client, { messages, max_tokens: 10, temperature: 0, ignore_eos: true, logprobs: true });
    const text = contentOf(full);
    const tokens = (full.choices[0]!.logprobs?.content ?? []).map((t) => t.token);
    // A stop string taken from the middle of the greedy answer: the 4th token's text, trimmed to 2+ characters.
    const stop = tokens.slice(3).map((t) => t.trim()).find((t) => t.length >= 2 && /^[\x20-\x7e]+$/.test(t));
    if (!stop) throw new Error(`no usable stop string in the greedy answer ${JSON.stringify(tokens)}`);
    const expected = text.slice(0, text.indexOf(stop));
    expect(expected.length).toBeLessThan(text.length - stop.length);

    const single = await chat(ctx.client, { messages, max_tokens: 10, temperature: 0, ignore_eos: true, stop });
    expect(single.choices[0]!.message.content).toBe(expected);
    expect(single.choices[0]!.finish_reason).toBe("stop");

    const list = await chat(ctx.client, { messages, max_tokens: 10, temperature: 0, ignore_eos: true, stop: ["never appears \u2603", stop] });
    expect(list.choices[0]!.message.content).toBe(expected);
    expect(list.choices[0]!.finish_reason).toBe("stop");
  });
});

describe("logprobs", () => {
  test("choices[0].logprobs.content[i] = {token, logprob, bytes, top_logprobs[k]} for each generated token", async () => {
    const k = 5;
    const res = await chat(ctx.client, { messages, max_tokens: 6, temperature: 0, ignore_eos: true, logprobs: true, top_logprobs: k });
    const choice = res.choices[0]!;
    const content = choice.logprobs?.content ?? null;
    expect(content).not.toBeNull();
    expect(content!).toHaveLength(6);
    expect(choice.logprobs?.refusal ?? null).toBeNull();
    for (const entry of content!) {
      expect(Object.keys(entry).sort()).toEqual(["bytes", "logprob", "token", "top_logprobs"]);
      expect(typeof entry.token).toBe("string");
      expect(entry.logprob).toBeLessThanOrEqual(0);
      expect(Number.isFinite(entry.logprob)).toBe(true);
      expect(Array.isArray(entry.bytes)).toBe(true);
      expect(entry.bytes!.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)).toBe(true);
      if (/^[\x00-\x7f]*$/.test(entry.token)) expect(Buffer.from(entry.bytes!).toString("utf8")).toBe(entry.token);
      expect(entry.top_logprobs).toHaveLength(k);
      for (const alt of entry.top_logprobs) {
        expect(Object.keys(alt).sort()).toEqual(["bytes", "logprob", "token"]);
        expect(alt.logprob).toBeLessThanOrEqual(0);
      }
      // Sorted best first, distinct tokens, probabilities summing to at most 1.
      const lps = entry.top_logprobs.map((a) => a.logprob);
      expect([...lps].sort((a, b) => b - a)).toEqual(lps);
      expect(new Set(entry.top_logprobs.map((a) => a.token)).size).toBe(k);
      expect(lps.reduce((s, v) => s + Math.exp(v), 0)).toBeLessThanOrEqual(1 + 1e-6);
      // Greedy: the chosen token is the most likely one.
      expect(entry.top_logprobs[0]!.token).toBe(entry.token);
      expect(entry.top_logprobs[0]!.logprob).toBeCloseTo(entry.logprob, 5);
    }
    // The tokens spell the answer.
    expect(Buffer.concat(content!.map((e) => Buffer.from(e.bytes!))).toString("utf8")).toBe(contentOf(res));
  });

  test("top_logprobs 0 gives each token's logprob with empty alternatives; no logprobs → null", async () => {
    const zero = await chat(ctx.client, { messages, max_tokens: 2, temperature: 0, ignore_eos: true, logprobs: true, top_logprobs: 0 });
    expect(zero.choices[0]!.logprobs?.content?.map((e) => e.top_logprobs)).toEqual([[], []]);
    const none = await chat(ctx.client, { messages, max_tokens: 2, temperature: 0 });
    expect(none.choices[0]!.logprobs).toBeNull();
  });

  test("top_logprobs 20 is the maximum", async () => {
    const res = await chat(ctx.client, { messages, max_tokens: 1, temperature: 0, logprobs: true, top_logprobs: 20 });
    expect(res.choices[0]!.logprobs?.content?.[0]?.top_logprobs).toHaveLength(20);
  });
});
