/**
 * The decoder graphs compute what a correct implementation must: cached decoding equals a full forward pass, and a
 * left-padded row in a batch equals the same sequence alone (the server's batching relies on both).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import type * as ort from "onnxruntime-node";
import { DecoderSession, argmax, maxAbsDiff, positionsFromMask, range, type KvCache } from "./decoder-session.ts";
import { testModelPath } from "./test-models-dir.ts";

const TOLERANCE = 1e-4;
const PAD = 50256;
/** "The quick brown fox jumps over the lazy dog." */
const FOX = [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13];
const SHORT = [15496, 995, 0, 314]; // "Hello world! I"

describe.each(["test-gpt2", "test-chat"])("%s ONNX graph", (name) => {
  let d: DecoderSession;
  let V: number;
  beforeAll(async () => {
    d = await DecoderSession.open(testModelPath(name));
    V = d.shape.vocabSize;
  });

  test("declares the Optimum decoder interface with a `batch_size` dimension", () => {
    const { layers, kvHeads, headDim } = d.shape;
    const cacheNames = range(0, layers).flatMap((i) => [`${i}.key`, `${i}.value`]);
    expect(d.session.inputNames).toEqual([
      "input_ids",
      "attention_mask",
      "position_ids",
      ...cacheNames.map((n) => `past_key_values.${n}`),
    ]);
    expect(d.session.outputNames).toEqual(["logits", ...cacheNames.map((n) => `present.${n}`)]);
    const shapes = Object.fromEntries(
      [...d.session.inputMetadata, ...d.session.outputMetadata].map((m) => [m.name, (m as ort.InferenceSession.TensorValueMetadata).shape]),
    );
    expect(shapes.input_ids).toEqual(["batch_size", "sequence_length"]);
    expect(shapes.attention_mask).toEqual(["batch_size", "total_sequence_length"]);
    expect(shapes.position_ids).toEqual(["batch_size", "sequence_length"]);
    expect(shapes["past_key_values.0.key"]).toEqual(["batch_size", kvHeads, "past_sequence_length", headDim]);
    expect(shapes["present.0.value"]).toEqual(["batch_size", kvHeads, "total_sequence_length", headDim]);
    expect(shapes.logits).toEqual(["batch_size", "sequence_length", V]);
  });

  test("KV-cache decoding gives the same logits as a full forward pass", async () => {
    const full = await d.full(FOX);
    for (const prefill of [1, 4]) {
      expect(maxAbsDiff(await d.incremental(FOX, prefill), full)).toBeLessThan(TOLERANCE);
    }
  });

  test("left-padded batch rows equal each sequence alone, in prefill and in cached decoding", async () => {
    const continuation = [11, 290, 373]; // fed after the prompts, one token per step
    const alone = [await d.full([...FOX, ...continuation]), await d.full([...SHORT, ...continuation])];

    const width = FOX.length;
    const pad = width - SHORT.length;
    const masks = [FOX.map(() => 1), [...Array(pad).fill(0), ...SHORT.map(() => 1)]];
    const ids = [FOX, [...Array(pad).fill(PAD), ...SHORT]];
    let step = await d.run(ids, masks, masks.map(positionsFromMask));
    expect(step.dims).toEqual([2, width, V]);
    expectFinite(step.logits); // padding query rows see no key at all: must be finite, not NaN
    expectRowClose(step.logits, 0, width, alone[0]!, FOX.length, 0);
    expectRowClose(step.logits, 1, width, alone[1]!, SHORT.length, pad);

    let cache: KvCache = step.cache;
    for (const [t, token] of continuation.entries()) {
      masks.forEach((m) => m.push(1));
      const positions = masks.map((m) => [positionsFromMask(m).at(-1) ?? 0]);
      step = await d.run([[token], [token]], masks, positions, cache);
      cache = step.cache;
      expect(maxAbsDiff(step.logits.subarray(0, V), slice(alone[0]!, FOX.length + t, V))).toBeLessThan(TOLERANCE);
      expect(maxAbsDiff(step.logits.subarray(V, 2 * V), slice(alone[1]!, SHORT.length + t, V))).toBeLessThan(TOLERANCE);
    }
  });

  test("logits spread enough for a stable greedy argmax", async () => {
    const logits = await d.full(FOX);
    const last = logits.subarray((FOX.length - 1) * V);
    const mean = last.reduce((a, b) => a + b, 0) / V;
    const std = Math.sqrt(last.reduce((a, b) => a + (b - mean) ** 2, 0) / V);
    expect(std).toBeGreaterThan(0.5);
    // The argmax should differ across positions: the model is not stuck on one token.
    const picks = new Set(range(0, FOX.length).map((t) => argmax(logits, t * V, (t + 1) * V)));
    expect(picks.size).toBeGreaterThan(FOX.length / 2);
  });

  /** Row `row` of a [batch, width, V] result, from column `offset`, against `expected` [len, V]. */
  function expectRowClose(batch: Float32Array, row: number, width: number, expected: Float32Array, len: number, offset: number) {
    const actual = batch.subarray((row * width + offset) * V, (row * width + offset + len) * V);
    expect(maxAbsDiff(actual, expected.subarray(0, len * V))).toBeLessThan(TOLERANCE);
  }
});

function slice(logits: Float32Array, position: number, V: number): Float32Array {
  return logits.subarray(position * V, (position + 1) * V);
}

function expectFinite(values: Float32Array): void {
  expect(values.every(Number.isFinite)).toBe(true);
}
