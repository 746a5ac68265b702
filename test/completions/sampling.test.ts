/**
 * Sampling parameters as a user sees them: temperature 0 is greedy and repeatable, a seed repeats a sampled
 * text, the filters (top_k, top_p, min_p) keep only the tokens they should, penalties and logit_bias change
 * what is generated, ignore_eos runs past EOS.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import * as path from "node:path";
import { AutoTokenizer, env as transformersEnv, type PreTrainedTokenizer } from "@huggingface/transformers";
import { useServer } from "../helpers/start-server.ts";
import { EOS, apiError, complete } from "./completion-client.ts";

transformersEnv.allowRemoteModels = false;

const ctx = useServer();
let tokenizer: PreTrainedTokenizer;

beforeAll(async () => {
  tokenizer = await AutoTokenizer.from_pretrained(path.join(process.env.TEST_MODELS_DIR!, "test-gpt2"));
});

const PROMPT = "In a hole in the ground there lived";
/** A repetitive prompt whose greedy continuation repeats tokens (checked below), for the penalties. */
const REPETITIVE = "the the the the the the the the";

async function text(params: Parameters<typeof complete>[1]): Promise<string> {
  return (await complete(ctx.client, params)).choices[0]!.text;
}

async function tokenIds(params: Parameters<typeof complete>[1]): Promise<number[]> {
  return tokenizer.encode(await text(params), { add_special_tokens: false });
}

describe("temperature and seed", () => {
  test("temperature 0 gives the same text every time, alone or batched with other requests", async () => {
    const body = { prompt: PROMPT, max_tokens: 10, temperature: 0 };
    const first = await text(body);
    const concurrent = await Promise.all([text(body), text({ ...body, prompt: "another prompt" }), text(body), text({ ...body, n: 2 })]);
    expect(first.length).toBeGreaterThan(0);
    expect(concurrent[0]).toBe(first);
    expect(concurrent[2]).toBe(first);
    expect(concurrent[3]).toBe(first);
  });

  test("the same seed repeats a temperature-1 text; different seeds give different texts", async () => {
    const body = { prompt: PROMPT, max_tokens: 8, temperature: 1, ignore_eos: true };
    const [a, b, c, d] = await Promise.all([text({ ...body, seed: 42 }), text({ ...body, seed: 42 }), text({ ...body, seed: 43 }), text({ ...body, seed: 44 })]);
    expect(b).toBe(a);
    // Three seeds agreeing on all 8 tokens of a near-flat distribution would be a broken seed.
    expect(new Set([a, c, d]).size).toBeGreaterThan(1);
  });

  test("a seeded request is repeatable while other requests share the batch", async () => {
    const body = { prompt: PROMPT, max_tokens: 8, temperature: 1, seed: 7, ignore_eos: true };
    const alone = await text(body);
    const [batched] = await Promise.all([text(body), text({ ...body, seed: 8, prompt: "noise" }), text({ prompt: "more noise", max_tokens: 8 })]);
    expect(batched).toBe(alone);
  });

  test("temperature outside 0..2 is refused naming temperature", async () => {
    const err = await apiError(complete(ctx.client, { prompt: "x", temperature: 2.5, max_tokens: 1 }));
    expect(err.status).toBe(400);
    expect(err.param).toBe("temperature");
  });
});

describe("filters", () => {
  let greedy: string;
  beforeAll(async () => {
    greedy = await text({ prompt: PROMPT, max_tokens: 8, temperature: 0 });
  });

  test("top_k 1 is greedy at any temperature and seed", async () => {
    for (const seed of [1, 2]) expect(await text({ prompt: PROMPT, max_tokens: 8, temperature: 1.5, seed, top_k: 1 })).toBe(greedy);
  });

  test("a tiny top_p keeps only the most likely token (greedy)", async () => {
    expect(await text({ prompt: PROMPT, max_tokens: 8, temperature: 1.5, seed: 3, top_p: 1e-6 })).toBe(greedy);
  });

  test("min_p 1 keeps only the most likely token (greedy)", async () => {
    expect(await text({ prompt: PROMPT, max_tokens: 8, temperature: 1.5, seed: 4, min_p: 1 })).toBe(greedy);
  });

  test("top_k 2 samples only among the two most likely tokens at every step", async () => {
    const r = await complete(ctx.client, { prompt: PROMPT, max_tokens: 12, temperature: 1, seed: 5, top_k: 2, logprobs: 2, ignore_eos: true });
    const lp = r.choices[0]!.logprobs!;
    lp.tokens!.forEach((tok, i) => {
      const top = lp.top_logprobs![i]!;
      // The chosen token is one of the top 2, so the map holds just those two.
      expect(Object.keys(top)).toHaveLength(2);
      expect(top[tok]).toBe(lp.token_logprobs![i]!);
    });
    // And it does sample: not always the most likely one.
    const notFirst = lp.tokens!.filter((tok, i) => lp.token_logprobs![i]! < Math.max(...Object.values(lp.top_logprobs![i]!)));
    expect(notFirst.length).toBeGreaterThan(0);
  });

  test("min_p 0.5 never picks a token less than half as likely as the best one", async () => {
    const r = await complete(ctx.client, { prompt: PROMPT, max_tokens: 12, temperature: 1, seed: 6, min_p: 0.5, logprobs: 1, ignore_eos: true });
    const lp = r.choices[0]!.logprobs!;
    lp.token_logprobs!.forEach((v, i) => {
      const best = Math.max(...Object.values(lp.top_logprobs![i]!));
      expect(v).toBeGreaterThanOrEqual(best + Math.log(0.5) - 1e-4);
    });
  });

  test("top_p 0.5 with temperature 1 changes what a seed samples compared with no filter", async () => {
    const body = { prompt: PROMPT, max_tokens: 8, temperature: 1, ignore_eos: true };
    const seeds = [21, 22, 23];
    const plain = await Promise.all(seeds.map((seed) => text({ ...body, seed })));
    const filtered = await Promise.all(seeds.map((seed) => text({ ...body, seed, top_p: 0.5 })));
    expect(filtered).not.toEqual(plain);
  });

  test("out-of-range filters are refused naming the parameter", async () => {
    for (const [param, value] of [["top_p", 1.5], ["min_p", -0.1], ["top_k", -2]] as const) {
      const err = await apiError(complete(ctx.client, { prompt: "x", max_tokens: 1, [param]: value }));
      expect(err.status).toBe(400);
      expect(err.param).toBe(param);
    }
  });
});

describe("penalties", () => {
  let baseline: number[];
  beforeAll(async () => {
    baseline = await tokenIds({ prompt: REPETITIVE, max_tokens: 12, temperature: 0 });
  });

  test("the greedy baseline repeats a token (so the penalties have something to change)", () => {
    expect(new Set(baseline).size).toBeLessThan(baseline.length);
  });

  test("presence_penalty 2 stops the greedy text from repeating what it generated", async () => {
    const ids = await tokenIds({ prompt: REPETITIVE, max_tokens: 12, temperature: 0, presence_penalty: 2 });
    expect(ids).not.toEqual(baseline);
    // The first repeat of the baseline is where a penalised run must go elsewhere; before it they agree.
    const firstRepeat = baseline.findIndex((id, i) => baseline.indexOf(id) < i);
    expect(ids.slice(0, firstRepeat)).toEqual(baseline.slice(0, firstRepeat));
    expect(ids[firstRepeat]).not.toBe(baseline[firstRepeat]);
  });

  test("frequency_penalty 2 changes the greedy text at the first repeat", async () => {
    const ids = await tokenIds({ prompt: REPETITIVE, max_tokens: 12, temperature: 0, frequency_penalty: 2 });
    const firstRepeat = baseline.findIndex((id, i) => baseline.indexOf(id) < i);
    expect(ids.slice(0, firstRepeat)).toEqual(baseline.slice(0, firstRepeat));
    expect(ids[firstRepeat]).not.toBe(baseline[firstRepeat]);
  });

  test("a negative presence_penalty makes repeats more likely, not less", async () => {
    const ids = await tokenIds({ prompt: REPETITIVE, max_tokens: 12, temperature: 0, presence_penalty: -2 });
    expect(new Set(ids).size).toBeLessThanOrEqual(new Set(baseline).size);
  });

  test("repetition_penalty covers prompt tokens too: a biased prompt token is no longer picked", async () => {
    // " the" (262) fills the prompt; +20 makes greedy pick it every time. Only repetition_penalty (prompt and
    // output) counts the prompt, so only it undoes that from the first token on; presence_penalty does not.
    const body = { prompt: REPETITIVE, max_tokens: 6, temperature: 0, logit_bias: { "262": 20 } };
    expect(await tokenIds(body)).toEqual(Array(6).fill(262));
    expect((await tokenIds({ ...body, presence_penalty: 2 }))[0]).toBe(262);
    expect(await tokenIds({ ...body, repetition_penalty: 10 })).not.toContain(262);
  });

  test("penalties out of range are refused naming the parameter", async () => {
    for (const [param, value] of [["presence_penalty", 2.5], ["frequency_penalty", -3], ["repetition_penalty", 0]] as const) {
      const err = await apiError(complete(ctx.client, { prompt: "x", max_tokens: 1, [param]: value }));
      expect(err.status).toBe(400);
      expect(err.param).toBe(param);
    }
  });
});

describe("logit_bias and ignore_eos", () => {
  test("+100 on a token makes the text that token repeated", async () => {
    const dog = 3290; // " dog"
    const r = await complete(ctx.client, { prompt: PROMPT, max_tokens: 5, temperature: 1, seed: 9, logit_bias: { [dog]: 100 } });
    expect(r.choices[0]!.text).toBe(" dog".repeat(5));
    expect(r.choices[0]!.finish_reason).toBe("length");
  });

  test("-100 on the greedy first token makes greedy pick another", async () => {
    const [first] = await tokenIds({ prompt: PROMPT, max_tokens: 1, temperature: 0 });
    const [other] = await tokenIds({ prompt: PROMPT, max_tokens: 1, temperature: 0, logit_bias: { [String(first)]: -100 } });
    expect(other).toBeDefined();
    expect(other).not.toBe(first);
  });

  test("+100 on EOS ends at once: finish_reason stop and an empty text", async () => {
    const r = await complete(ctx.client, { prompt: PROMPT, max_tokens: 8, logit_bias: { [EOS]: 100 } });
    expect(r.choices[0]!.text).toBe("");
    expect(r.choices[0]!.finish_reason).toBe("stop");
    expect(r.usage!.completion_tokens).toBeLessThanOrEqual(1);
  });

  test("ignore_eos keeps generating through EOS to max_tokens", async () => {
    const r = await complete(ctx.client, { prompt: PROMPT, max_tokens: 6, logit_bias: { [EOS]: 100 }, ignore_eos: true, logprobs: 0 });
    expect(r.usage!.completion_tokens).toBe(6);
    expect(r.choices[0]!.finish_reason).toBe("length");
    expect(r.choices[0]!.logprobs!.tokens).toEqual(Array(6).fill("<|endoftext|>"));
  });

  test("a key outside the vocabulary, or not a token id, is a 400 naming logit_bias", async () => {
    for (const key of ["50257", "abc", "-1"]) {
      const err = await apiError(complete(ctx.client, { prompt: "x", max_tokens: 1, logit_bias: { [key]: 1 } }));
      expect(err.status).toBe(400);
      expect(err.param).toStartWith("logit_bias");
    }
    const range = await apiError(complete(ctx.client, { prompt: "x", max_tokens: 1, logit_bias: { "10": 101 } }));
    expect(range.status).toBe(400);
    expect(range.param).toStartWith("logit_bias");
  });
});

describe("other parameters", () => {
  test("user is accepted and changes nothing", async () => {
    const body = { prompt: PROMPT, max_tokens: 4, temperature: 0 };
    expect(await text({ ...body, user: "user-1234" })).toBe(await text(body));
  });

  test("suffix is refused: 400 naming suffix", async () => {
    const err = await apiError(complete(ctx.client, { prompt: PROMPT, suffix: " the end.", max_tokens: 4 }));
    expect(err.status).toBe(400);
    expect(err.param).toBe("suffix");
    expect(err.message).toContain("not supported");
  });
});
