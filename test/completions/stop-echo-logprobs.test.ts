/**
 * stop, echo and logprobs: the stop string never reaches the client (also when it spans tokens, also while
 * streaming), echo puts the prompt in front, and logprobs have the legacy completions shape.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import * as path from "node:path";
import { AutoTokenizer, env as transformersEnv, type PreTrainedTokenizer } from "@huggingface/transformers";
import { useServer } from "../helpers/start-server.ts";
import { apiError, complete, joinChoices, streamRaw } from "./completion-client.ts";

transformersEnv.allowRemoteModels = false;

const ctx = useServer();
let tokenizer: PreTrainedTokenizer;

const PROMPT = "It was the best of times, it was the worst of times,";
/** The unstopped greedy continuation and its tokens: every stop test cuts this text. */
let greedy: { text: string; tokens: string[]; offsets: number[] };

beforeAll(async () => {
  tokenizer = await AutoTokenizer.from_pretrained(path.join(process.env.TEST_MODELS_DIR!, "test-gpt2"));
  const r = await complete(ctx.client, { prompt: PROMPT, max_tokens: 16, temperature: 0, logprobs: 0, ignore_eos: true });
  const c = r.choices[0]!;
  greedy = { text: c.text, tokens: c.logprobs!.tokens!, offsets: c.logprobs!.text_offset! };
});

const plain = (t: string) => /^[\x20-\x7e]+$/.test(t);

/**
 * A stop string made of the last 2 characters of token k and the first 2 of token k+1, whose first occurrence
 * in the greedy text is exactly there: it can only be seen once the second token is decoded.
 */
function spanningStop(after = 0): { stop: string; at: number } {
  const { text, tokens, offsets } = greedy;
  for (let k = after; k + 1 < tokens.length; k++) {
    const [a, b] = [tokens[k]!, tokens[k + 1]!];
    if (a.length < 2 || b.length < 2 || !plain(a) || !plain(b)) continue;
    const stop = a.slice(-2) + b.slice(0, 2);
    const at = offsets[k + 1]! - 2;
    if (text.indexOf(stop) === at) return { stop, at };
  }
  throw new Error(`no two adjacent plain tokens of 2+ characters after ${after} in ${JSON.stringify(tokens)}`);
}

describe("the greedy text used by the stop tests", () => {
  test("is 16 tokens whose texts join to the completion, with offsets at each token's start", () => {
    expect(greedy.tokens).toHaveLength(16);
    expect(greedy.tokens.join("")).toBe(greedy.text);
    greedy.tokens.forEach((_, i) => expect(greedy.offsets[i]).toBe(greedy.tokens.slice(0, i).join("").length));
  });
});

describe("stop", () => {
  test("a string stop ends the text before it, with finish_reason stop", async () => {
    const { stop, at } = spanningStop();
    const r = await complete(ctx.client, { prompt: PROMPT, max_tokens: 16, temperature: 0, stop });
    const c = r.choices[0]!;
    expect(c.finish_reason).toBe("stop");
    expect(c.text).toBe(greedy.text.slice(0, at));
    expect(c.text).not.toContain(stop);
    expect(greedy.text.startsWith(c.text)).toBe(true);
    expect(r.usage!.completion_tokens).toBeLessThan(16);
  });

  test("a list of stops: the earliest match wins, in any order, and non-matching ones are harmless", async () => {
    const first = spanningStop();
    const later = spanningStop(greedy.tokens.findIndex((_, i) => greedy.offsets[i]! > first.at + 4));
    expect(later.at).toBeGreaterThan(first.at);
    const r = await complete(ctx.client, { prompt: PROMPT, max_tokens: 16, temperature: 0, stop: ["\u0001never", later.stop, first.stop] });
    expect(r.choices[0]!.text).toBe(greedy.text.slice(0, first.at));
    expect(r.choices[0]!.finish_reason).toBe("stop");
    const onlyLater = await complete(ctx.client, { prompt: PROMPT, max_tokens: 16, temperature: 0, stop: ["\u0001never", later.stop] });
    expect(onlyLater.choices[0]!.text).toBe(greedy.text.slice(0, later.at));
  });

  test("a stop string that never matches leaves the text whole, finish_reason length", async () => {
    const r = await complete(ctx.client, { prompt: PROMPT, max_tokens: 16, temperature: 0, stop: ["\u0001never"] });
    expect(r.choices[0]!.text).toBe(greedy.text);
    expect(r.choices[0]!.finish_reason).toBe("length");
  });

  test("stops apply to every choice of n", async () => {
    const { stop, at } = spanningStop();
    const r = await complete(ctx.client, { prompt: PROMPT, max_tokens: 16, temperature: 0, stop, n: 2 });
    expect(r.choices.map((c) => [c.index, c.text, c.finish_reason])).toEqual([
      [0, greedy.text.slice(0, at), "stop"],
      [1, greedy.text.slice(0, at), "stop"],
    ]);
  });

  test("streaming holds back a stop string that spans a token boundary: its first half never leaks", async () => {
    const { stop, at } = spanningStop();
    const { chunks } = await streamRaw(ctx.server.url, { prompt: PROMPT, max_tokens: 16, temperature: 0, stop });
    expect(joinChoices(chunks).get(0)).toBe(greedy.text.slice(0, at));
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
  });

  test("streaming releases held-back text at the end when the stop never completes", async () => {
    // The last two characters of the text start this stop string, so they are held back until the end.
    const stop = `${greedy.text.slice(-2)}\u0001`;
    const { chunks } = await streamRaw(ctx.server.url, { prompt: PROMPT, max_tokens: 16, temperature: 0, stop });
    expect(joinChoices(chunks).get(0)).toBe(greedy.text);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("length");
  });

  test("the official client's stream sees the same stopped text", async () => {
    const { stop, at } = spanningStop();
    const stream = await ctx.client.completions.create({ model: "test-gpt2", prompt: PROMPT, max_tokens: 16, temperature: 0, stop: [stop], stream: true });
    let text = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        text += c.text;
        finish = c.finish_reason ?? finish;
      }
    }
    expect(text).toBe(greedy.text.slice(0, at));
    expect(finish).toBe("stop");
  });

  test("a stop of wrong type is refused naming stop", async () => {
    const err = await apiError(complete(ctx.client, { prompt: PROMPT, max_tokens: 1, stop: 5 as unknown as string }));
    expect(err.status).toBe(400);
    expect(err.param).toStartWith("stop");
  });
});

describe("echo", () => {
  test("echo puts the prompt in front of the completion", async () => {
    const r = await complete(ctx.client, { prompt: PROMPT, max_tokens: 16, temperature: 0, echo: true, ignore_eos: true });
    expect(r.choices[0]!.text).toBe(PROMPT + greedy.text);
    expect(r.usage!.completion_tokens).toBe(16);
  });

  test("echo with several prompts echoes each in its own choice", async () => {
    const prompts = ["alpha beta", "gamma delta"];
    const r = await complete(ctx.client, { prompt: prompts, max_tokens: 2, temperature: 0, echo: true });
    r.choices.forEach((c, i) => expect(c.text.startsWith(prompts[i]!)).toBe(true));
  });

  test("echo with a token-id prompt echoes its text", async () => {
    const ids = tokenizer.encode(PROMPT, { add_special_tokens: false });
    const r = await complete(ctx.client, { prompt: ids, max_tokens: 16, temperature: 0, echo: true, ignore_eos: true });
    expect(r.choices[0]!.text).toBe(PROMPT + greedy.text);
  });

  test("echo with logprobs covers prompt and completion tokens; the first prompt token has no logprob", async () => {
    const ids = tokenizer.encode(PROMPT, { add_special_tokens: false });
    const r = await complete(ctx.client, { prompt: PROMPT, max_tokens: 16, temperature: 0, echo: true, logprobs: 2, ignore_eos: true });
    const lp = r.choices[0]!.logprobs!;
    expect(lp.tokens).toEqual([...ids.map((id) => tokenizer.decode([id])), ...greedy.tokens]);
    expect(lp.token_logprobs).toHaveLength(ids.length + 16);
    expect(lp.token_logprobs![0]).toBeNull();
    expect(lp.top_logprobs![0]).toBeNull();
    lp.token_logprobs!.slice(1).forEach((v) => expect(v).toBeLessThanOrEqual(0));
    lp.top_logprobs!.slice(1).forEach((top) => expect(Object.keys(top).length).toBeLessThanOrEqual(3));
    expect(lp.text_offset).toEqual(lp.tokens!.map((_, i) => lp.tokens!.slice(0, i).join("").length));
    expect(lp.text_offset![ids.length]).toBe(PROMPT.length);
  });

  test("echo text_offset indexes the echoed text when the prompt holds a special token", async () => {
    const prompt = "a<|endoftext|>b";
    const r = await complete(ctx.client, { prompt, max_tokens: 0, echo: true, logprobs: 0 });
    const lp = r.choices[0]!.logprobs!;
    expect(r.choices[0]!.text).toBe(prompt);
    expect(lp.tokens).toEqual(["a", "<|endoftext|>", "b"]);
    expect(lp.text_offset).toEqual([0, 1, 14]);
  });
});

describe("logprobs", () => {
  for (const k of [0, 1, 2, 3, 4, 5]) {
    test(`logprobs ${k}: parallel arrays, one entry per completion token, at most ${k + 1} alternatives`, async () => {
      const r = await complete(ctx.client, { prompt: PROMPT, max_tokens: 5, temperature: 0, logprobs: k });
      const c = r.choices[0]!;
      const lp = c.logprobs!;
      const n = r.usage!.completion_tokens;
      expect(n).toBe(5);
      expect(Object.keys(lp).sort()).toEqual(["text_offset", "token_logprobs", "tokens", "top_logprobs"]);
      for (const arr of [lp.tokens, lp.token_logprobs, lp.top_logprobs, lp.text_offset]) expect(arr).toHaveLength(n);
      expect(lp.tokens).toEqual(greedy.tokens.slice(0, 5));
      expect(lp.tokens!.join("")).toBe(c.text);
      expect(lp.text_offset).toEqual(lp.tokens!.map((_, i) => lp.tokens!.slice(0, i).join("").length));
      lp.tokens!.forEach((tok, i) => {
        const v = lp.token_logprobs![i]!;
        const top = lp.top_logprobs![i]!;
        expect(v).toBeLessThanOrEqual(0);
        const size = Object.keys(top).length;
        expect(size).toBeGreaterThanOrEqual(1);
        expect(size).toBeLessThanOrEqual(k + 1);
        expect(top[tok]).toBe(v); // the chosen token is always in the map
        // Greedy picked the most likely token; every alternative is a logprob no higher.
        for (const alt of Object.values(top)) {
          expect(alt).toBeLessThanOrEqual(v);
          expect(alt).toBeLessThanOrEqual(0);
        }
        if (k > 0) expect(size).toBeGreaterThanOrEqual(Math.min(k, 2));
      });
    });
  }

  test("sampled tokens outside the top k still appear in their own top_logprobs map", async () => {
    const r = await complete(ctx.client, { prompt: PROMPT, max_tokens: 12, temperature: 1.5, seed: 99, logprobs: 1, ignore_eos: true });
    const lp = r.choices[0]!.logprobs!;
    let outside = 0;
    lp.tokens!.forEach((tok, i) => {
      const top = lp.top_logprobs![i]!;
      expect(top[tok]).toBe(lp.token_logprobs![i]!);
      expect(Object.keys(top).length).toBeLessThanOrEqual(2);
      if (Object.keys(top).length === 2) outside++;
    });
    expect(outside).toBeGreaterThan(0);
  });

  test("logprobs are the model's, not the sampler's: temperature and filters do not change them", async () => {
    const base = await complete(ctx.client, { prompt: PROMPT, max_tokens: 5, temperature: 0, logprobs: 1 });
    const hot = await complete(ctx.client, { prompt: PROMPT, max_tokens: 5, temperature: 0.3, top_k: 1, seed: 1, logprobs: 1 });
    expect(hot.choices[0]!.logprobs!.tokens).toEqual(base.choices[0]!.logprobs!.tokens!);
    hot.choices[0]!.logprobs!.token_logprobs!.forEach((v, i) => expect(v).toBeCloseTo(base.choices[0]!.logprobs!.token_logprobs![i]!, 5));
    // and they are a distribution: the alternatives of one position sum to at most 1
    const wide = await complete(ctx.client, { prompt: PROMPT, max_tokens: 1, temperature: 0, logprobs: 5 });
    const total = Object.values(wide.choices[0]!.logprobs!.top_logprobs![0]!).reduce((s, v) => s + Math.exp(v), 0);
    expect(total).toBeLessThanOrEqual(1 + 1e-6);
    expect(total).toBeGreaterThan(0);
  });

  test("logprobs 6 and -1 are refused naming logprobs", async () => {
    for (const logprobs of [6, -1]) {
      const err = await apiError(complete(ctx.client, { prompt: PROMPT, max_tokens: 1, logprobs }));
      expect(err.status).toBe(400);
      expect(err.param).toBe("logprobs");
    }
  });

  test("streamed logprobs add up to the non-streamed ones", async () => {
    const { chunks } = await streamRaw(ctx.server.url, { prompt: PROMPT, max_tokens: 6, temperature: 0, logprobs: 2 });
    const tokens: string[] = [];
    const values: number[] = [];
    const offsets: number[] = [];
    for (const ch of chunks) {
      for (const c of ch.choices) {
        if (c.logprobs) {
          tokens.push(...c.logprobs.tokens!);
          values.push(...c.logprobs.token_logprobs!);
          offsets.push(...c.logprobs.text_offset!);
        }
      }
    }
    expect(tokens).toEqual(greedy.tokens.slice(0, 6));
    expect(offsets).toEqual(greedy.offsets.slice(0, 6));
    const base = await complete(ctx.client, { prompt: PROMPT, max_tokens: 6, temperature: 0, logprobs: 2 });
    values.forEach((v, i) => expect(v).toBeCloseTo(base.choices[0]!.logprobs!.token_logprobs![i]!, 5));
  });
});
