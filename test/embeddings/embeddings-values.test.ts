/**
 * /v1/embeddings on test-embed through the official client: the vectors equal a mean-pool of the encoder's
 * last_hidden_state computed here, for every input form and encoding, truncated by `dimensions`, with exact usage,
 * and many inputs come back in order.
 */
import { describe, expect, test } from "bun:test";
import type { CreateEmbeddingResponse } from "openai/resources/embeddings";
import { EMBED_MODEL, tokenIds } from "../chat/chat-kit.ts";
import { useServer } from "../helpers/start-server.ts";
import { cosine, decodeFloat32Base64, dot, maxAbsDiff, meanPooled, norm, referenceEmbedding } from "./reference-embedding.ts";

const WIDTH = 64;
const TOLERANCE = 1e-5;

const ctx = useServer({ env: { ENABLE_EMBEDDINGS_BACKEND: "true" } });

/** Ids as the model's own tokenizer (transformers.js, in this process) makes them, special tokens included. */
const ids = (text: string) => tokenIds(EMBED_MODEL, text, true);

async function embedFloat(input: string | string[] | number[] | number[][], extra: { dimensions?: number } = {}): Promise<CreateEmbeddingResponse> {
  const res = await ctx.client.embeddings.create({ model: EMBED_MODEL, input, encoding_format: "float", ...extra });
  expect(res.object).toBe("list");
  expect(res.model).toBe(EMBED_MODEL);
  res.data.forEach((d, i) => {
    expect(d.object).toBe("embedding");
    expect(d.index).toBe(i);
  });
  return res;
}

describe("values", () => {
  test("equal a direct mean-pool of last_hidden_state, L2-normalised (within 1e-5)", async () => {
    const text = "The quick brown fox jumps over the lazy dog.";
    const res = await embedFloat(text);
    expect(res.data).toHaveLength(1);
    const got = res.data[0]!.embedding;
    expect(got).toHaveLength(WIDTH);
    const want = await referenceEmbedding(await ids(text));
    expect(maxAbsDiff(got, want)).toBeLessThan(TOLERANCE);
    expect(norm(got)).toBeCloseTo(1, 5);
    // The reference is not trivially normalised noise: pooling before normalising matters.
    expect(norm(await meanPooled(await ids(text)))).not.toBeCloseTo(1, 2);
  });

  test("inputs of different lengths in one request each equal their own reference (padding is invisible)", async () => {
    const texts = ["Hi", "A considerably longer sentence, with punctuation and several more tokens in it.", "Mid-length input here"];
    const res = await embedFloat(texts);
    expect(res.data).toHaveLength(3);
    for (let i = 0; i < texts.length; i++) {
      expect(maxAbsDiff(res.data[i]!.embedding, await referenceEmbedding(await ids(texts[i]!)))).toBeLessThan(TOLERANCE);
    }
  });

  test("the cosine of an input with itself is 1; different inputs differ", async () => {
    const res = await embedFloat(["sunrise over the sea", "sunrise over the sea", "a tax form"]);
    const [a, b, c] = res.data.map((d) => d.embedding) as [number[], number[], number[]];
    expect(cosine(a, a)).toBeCloseTo(1, 6);
    expect(cosine(a, b)).toBeCloseTo(1, 6);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-6);
    // Repeatable across requests too.
    const again = await embedFloat("sunrise over the sea");
    expect(cosine(a, again.data[0]!.embedding)).toBeCloseTo(1, 6);
    expect(cosine(a, c)).toBeLessThan(0.999);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(1e-3);
  });
});

describe("encodings", () => {
  test("base64 decodes (little-endian float32) to exactly the float values", async () => {
    const text = "encode me twice";
    const floats = await embedFloat(text);
    const b64 = await ctx.client.embeddings.create({ model: EMBED_MODEL, input: text, encoding_format: "base64" });
    const s = b64.data[0]!.embedding;
    expect(typeof s).toBe("string");
    expect(Buffer.from(s, "base64").length).toBe(WIDTH * 4);
    expect(decodeFloat32Base64(s)).toEqual(floats.data[0]!.embedding);
  });

  test("the client's default (it asks for base64 and decodes) gives the same vector", async () => {
    const text = "default encoding";
    const viaDefault = await ctx.client.embeddings.create({ model: EMBED_MODEL, input: text });
    const floats = await embedFloat(text);
    expect(Array.from(viaDefault.data[0]!.embedding)).toEqual(floats.data[0]!.embedding);
  });
});

describe("dimensions", () => {
  test("truncates to the first n values and renormalises", async () => {
    const text = "shorter vectors please";
    const full = (await embedFloat(text)).data[0]!.embedding;
    for (const n of [1, 8, 32]) {
      const cut = (await embedFloat(text, { dimensions: n })).data[0]!.embedding;
      expect(cut).toHaveLength(n);
      expect(norm(cut)).toBeCloseTo(1, 5);
      const prefixNorm = norm(full.slice(0, n));
      cut.forEach((v, i) => expect(v * prefixNorm).toBeCloseTo(full[i]!, 5));
    }
    // base64 carries the truncated vector too.
    const b64 = await ctx.client.embeddings.create({ model: EMBED_MODEL, input: text, encoding_format: "base64", dimensions: 8 });
    expect(decodeFloat32Base64(b64.data[0]!.embedding)).toEqual((await embedFloat(text, { dimensions: 8 })).data[0]!.embedding);
    // The full width is the same vector as asking for nothing.
    expect((await embedFloat(text, { dimensions: WIDTH })).data[0]!.embedding).toEqual(full);
  });
});

describe("input forms", () => {
  test("string, string[], token ids and arrays of token ids embed the same text the same way", async () => {
    const text = "Token ids or text";
    const textIds = await ids(text);
    const fromString = (await embedFloat(text)).data[0]!.embedding;
    const fromStrings = (await embedFloat([text])).data[0]!.embedding;
    const fromIds = (await embedFloat(textIds)).data[0]!.embedding;
    const fromIdArrays = await embedFloat([textIds, [464, 3290]]);
    expect(fromStrings).toEqual(fromString);
    expect(maxAbsDiff(fromIds, fromString)).toBeLessThan(TOLERANCE);
    expect(fromIdArrays.data).toHaveLength(2);
    expect(maxAbsDiff(fromIdArrays.data[0]!.embedding, fromString)).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(fromIdArrays.data[1]!.embedding, await referenceEmbedding([464, 3290]))).toBeLessThan(TOLERANCE);
  });

  test("a token-id input exactly as long as the context (512) is accepted", async () => {
    const long = Array.from({ length: 512 }, (_, i) => 100 + (i % 1000));
    const res = await embedFloat([long]);
    expect(res.usage.prompt_tokens).toBe(512);
    expect(maxAbsDiff(res.data[0]!.embedding, await referenceEmbedding(long))).toBeLessThan(TOLERANCE);
  });
});

describe("usage", () => {
  test("prompt_tokens is the exact sum of every input's token count; total_tokens equals it", async () => {
    const texts = ["one", "two words", "Three words, punctuated!", "Ünïcödé text — with dashes"];
    const counts = await Promise.all(texts.map(async (t) => (await ids(t)).length));
    const res = await embedFloat(texts);
    const expected = counts.reduce((a, b) => a + b, 0);
    expect(expected).toBeGreaterThan(texts.length);
    expect(res.usage).toEqual({ prompt_tokens: expected, total_tokens: expected });

    const idInputs = [[1, 2, 3], [4, 5, 6, 7, 8]];
    expect((await embedFloat(idInputs)).usage).toEqual({ prompt_tokens: 8, total_tokens: 8 });
  });
});

describe("many inputs", () => {
  test("100 inputs of varied lengths come back in order, each with its index and its own vector", async () => {
    const texts = Array.from({ length: 100 }, (_, i) => `Input number ${i}:${" word".repeat(i % 13)} end`);
    const res = await embedFloat(texts);
    expect(res.data).toHaveLength(100);
    expect(res.data.map((d) => d.index)).toEqual(texts.map((_, i) => i));
    let tokens = 0;
    for (let i = 0; i < texts.length; i++) {
      const textIds = await ids(texts[i]!);
      tokens += textIds.length;
      expect(maxAbsDiff(res.data[i]!.embedding, await referenceEmbedding(textIds))).toBeLessThan(TOLERANCE);
    }
    expect(res.usage.prompt_tokens).toBe(tokens);
    // Neighbours differ, so an off-by-one in the order could not pass.
    expect(maxAbsDiff(res.data[0]!.embedding, res.data[1]!.embedding)).toBeGreaterThan(1e-3);
  });
});

test("vectors have unit norm and are finite", async () => {
  const res = await embedFloat(["x", "y z"]);
  for (const d of res.data) {
    expect(d.embedding.every(Number.isFinite)).toBe(true);
    expect(dot(d.embedding, d.embedding)).toBeCloseTo(1, 5);
  }
});
