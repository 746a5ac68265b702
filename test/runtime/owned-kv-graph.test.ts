/**
 * The engine-owned KV path for every architecture the builder makes (each factory checkpoint, built in the
 * owned-KV layout and run by OwnedKvGraph over KvBuffers): the graph's own full forward equals the independent
 * float64 reference, and decoding with in-place KV writes gives the full forward's logits at every position while
 * rows join (a chunked prefill into their own slot, the first chunk over an empty cache), share the batch, are
 * copied for n choices, leave (the last row moved into the hole, the capacity fitted back down) and the capacity
 * grows chunk by chunk.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { CHECKPOINT_RECIPES } from "../../scripts/make-test-models.ts";
import { buildDecoder } from "../../src/convert/build-decoder.ts";
import { KV_LAYOUT_KEY, OWNED_KV_LAYOUT } from "../../src/convert/graph/owned-kv-layout.ts";
import type { KvBuffers } from "../../src/engine/runtime/kv-buffers.ts";
import { readOnnxMetadata } from "../../src/engine/runtime/onnx-metadata.ts";
import { OwnedKvGraph } from "../../src/engine/runtime/owned-kv-graph.ts";
import { logSoftmax, referenceLogits, Weights } from "../convert/reference-forward.ts";
import { testModelPath } from "../models/test-models-dir.ts";

/** 40 tokens of English: longer than every window (3, 4) and than several capacity chunks of 8. */
const TOKENS = [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13, 15496, 995, 0, 314, 716, 257, 1332, 286, 262, 1295, 1080, 11, 290, 340, 2499, 13, 383, 3329, 3797, 373, 8180, 290, 262, 6729, 1816, 511, 2003, 6766, 319, 4];
const T = TOKENS.length;
/** Logits of in-place decoding against the full forward (float32 sums in another order). */
const INPLACE_TOLERANCE = 1e-4;
const LOGPROB_TOLERANCE = 1e-3;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "owned-kv-"));
const figures: string[] = [];
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  if (figures.length) console.log(`owned-KV graphs (reference: max |Δ log-prob|; in place: max |Δ logit| vs the full forward):\n${figures.join("\n")}`);
});

function maxDiff(a: Float32Array, aAt: number, b: Float32Array, bAt: number, n: number): number {
  let m = 0;
  for (let j = 0; j < n; j++) m = Math.max(m, Math.abs(a[aAt + j]! - b[bAt + j]!));
  return m;
}

describe.each(CHECKPOINT_RECIPES.map((r) => [r.name, r] as const))("%s", (name, recipe) => {
  let graph: OwnedKvGraph;
  let full: Float32Array;
  let V: number;
  let onnxFile: string;
  beforeAll(async () => {
    const built = await buildDecoder(testModelPath(name), path.join(tmp, name));
    onnxFile = built.onnxFile;
    graph = new OwnedKvGraph(await ort.InferenceSession.create(built.onnxFile, { intraOpNumThreads: 1 }));
    V = graph.vocab;
    const kv = graph.newBuffers({ chunk: 8, maxPositions: 256 });
    full = (await graph.forward({ kv, first: 0, count: 1, steps: T, tokens: TOKENS, keep: T, fresh: true })).logits.slice();
  });

  test("is marked as the owned-KV layout, and its full forward equals the float64 reference", () => {
    expect(readOnnxMetadata(onnxFile).get(KV_LAYOUT_KEY)).toBe(OWNED_KV_LAYOUT);
    expect(full.length).toBe(T * V);
    const reference = referenceLogits(recipe.config, new Weights(recipe.tensors()), TOKENS).map(logSoftmax);
    let worst = 0;
    for (let t = 0; t < T; t++) {
      const lp = logSoftmax(full.subarray(t * V, (t + 1) * V));
      for (let j = 0; j < V; j++) worst = Math.max(worst, Math.abs(lp[j]! - reference[t]![j]!));
    }
    figures.push(`  ${name.padEnd(24)} reference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(LOGPROB_TOLERANCE);
  });

  test("in-place KV writes give the full forward's logits while rows join, are copied, leave and the capacity grows", async () => {
    const kv = graph.newBuffers({ chunk: 8, maxPositions: 256 });
    let worst = 0;
    const expectAt = (logits: Float32Array, at: number, position: number) => (worst = Math.max(worst, maxDiff(logits, at * V, full, position * V, V)));
    /** Rows [0, count) decode one step each, feeding the token at their own length (teacher forcing). */
    const decode = async (count: number) => {
      const positions = Array.from({ length: count }, (_, b) => kv.length(b));
      const r = await graph.forward({ kv, first: 0, count, steps: 1, tokens: positions.map((p) => TOKENS[p]!), keep: 1, fresh: false });
      expect(r.kept).toBe(1);
      positions.forEach((p, b) => expectAt(r.logits, b, p));
    };
    const prefill = async (row: number, start: number, end: number, keep: number, fresh: boolean) => {
      kv.reserve(row + 1, 0);
      const r = await graph.forward({ kv, first: row, count: 1, steps: end - start, tokens: TOKENS.slice(start, end), keep, fresh });
      expect(r.logits.length).toBe(keep * V);
      for (let i = 0; i < keep; i++) expectAt(r.logits, i, end - keep + i);
      return kv;
    };
    const capacities = new Set<number>();

    await prefill(0, 0, 12, 1, true); // row 0: one fresh chunk, last position's logits
    for (let i = 0; i < 3; i++) await decode(1);
    await prefill(1, 0, 5, 0, true); // row 1 joins: its first chunk over an empty cache, no logits…
    await decode(1); // …while row 0 decodes on…
    await prefill(1, 5, 9, 4, false); // …then its second chunk over its own slot, every position scored
    for (let i = 0; i < 4; i++) await decode(2);
    kv.reserve(3, kv.length(1));
    kv.copyRow(1, 2); // a second choice of row 1's prompt shares its prefill
    expect(kv.length(2)).toBe(kv.length(1));
    for (let i = 0; i < 6; i++) {
      await decode(3);
      capacities.add(kv.capacity);
    }
    kv.moveRow(2, 0); // row 0 (the longest) leaves: the last row takes its slot
    const before = kv.capacity;
    kv.fit();
    expect(kv.capacity).toBeLessThan(before);
    while (kv.length(0) < T && kv.length(1) < T) {
      await decode(2);
      capacities.add(kv.capacity);
    }
    figures.push(`  ${name.padEnd(24)} in place  ${worst.toExponential(2)} (capacities ${[...capacities].join(", ")})`);
    expect(capacities.size).toBeGreaterThan(2);
    expect(worst).toBeLessThan(INPLACE_TOLERANCE);
  });
});
