/**
 * The engine-owned KV buffers: what a graph reads through `view` is exactly what was written for each row and
 * position, through rows joining, leaving (the last row moving into the hole), being copied for n choices,
 * capacity growing in chunks and being fitted back down. Checked against a plain map of (row, position) → values.
 */
import { describe, expect, test } from "bun:test";
import { KvBuffers } from "../../src/engine/runtime/kv-buffers.ts";

const shape = { layers: 2, kvHeads: 3, headDim: 4 };
const HD = shape.kvHeads * shape.headDim;

/** Distinct, recognisable values for (layer, kind, sequence id, position, element). */
const value = (layer: number, kind: number, seq: number, pos: number, e: number) => layer * 1e6 + kind * 5e5 + seq * 1e3 + pos + e / 100;

/** One step's new rows [count, kvHeads, steps, headDim] for sequences `seqs` starting at `starts`. */
function newRows(layer: number, kind: number, seqs: number[], starts: number[], steps: number): Float32Array {
  const { kvHeads: H, headDim: D } = shape;
  const out = new Float32Array(seqs.length * steps * HD);
  seqs.forEach((seq, b) => {
    for (let h = 0; h < H; h++) {
      for (let s = 0; s < steps; s++) for (let d = 0; d < D; d++) out[((b * H + h) * steps + s) * D + d] = value(layer, kind, seq, starts[b]! + s, h * D + d);
    }
  });
  return out;
}

/** Every used position of every row (seqs[row] = which sequence lives there) reads back as written. */
function expectContents(kv: KvBuffers, seqs: number[]): void {
  const { kvHeads: H, headDim: D } = shape;
  for (let l = 0; l < shape.layers; l++) {
    for (const [kind, name] of [[0, "key"], [1, "value"]] as const) {
      const view = kv.view(l, name, 0, seqs.length);
      expect(view.length).toBe(seqs.length * H * kv.capacity * D);
      seqs.forEach((seq, row) => {
        for (let pos = 0; pos < kv.length(row); pos++) {
          for (let h = 0; h < H; h++) {
            for (let d = 0; d < D; d++) {
              const got = view[((row * H + h) * kv.capacity + pos) * D + d]!;
              expect(got).toBe(Math.fround(value(l, kind, seq, pos, h * D + d)));
            }
          }
        }
      });
    }
  }
}

function step(kv: KvBuffers, seqs: number[], first: number, steps: number): void {
  const count = seqs.length;
  kv.reserve(first + count, 0); // a joiner gets its slot first
  const starts = seqs.map((_, b) => kv.length(first + b));
  kv.reserve(first + count, Math.max(...starts) + steps);
  for (let l = 0; l < shape.layers; l++) kv.write(l, newRows(l, 0, seqs, starts, steps), newRows(l, 1, seqs, starts, steps), first, count, steps);
  kv.advance(first, count, steps);
}

describe("KvBuffers", () => {
  test("decode steps over a batch land at each row's own position; capacity grows in chunks", () => {
    const kv = new KvBuffers(shape, { chunk: 8, maxPositions: 64, initialRows: 2 });
    expect(kv.capacity).toBe(0);
    kv.reserve(2, 1);
    step(kv, [10], 0, 5); // prefill of row 0 (5 tokens)
    step(kv, [11], 1, 3); // prefill of row 1 (3 tokens)
    expect(kv.capacity).toBe(8);
    const generation = kv.generation;
    for (let i = 0; i < 6; i++) step(kv, [10, 11], 0, 1); // row 0 reaches 11 positions: one chunk more
    expect([kv.length(0), kv.length(1)]).toEqual([11, 9]);
    expect(kv.capacity).toBe(16);
    expect(kv.generation).toBeGreaterThan(generation);
    expectContents(kv, [10, 11]);
    expect(kv.viewDims(2)).toEqual([2, 3, 16, 4]);
  });

  test("a joiner prefills its own slot in chunks while the others decode", () => {
    const kv = new KvBuffers(shape, { chunk: 8, maxPositions: 64, initialRows: 1 });
    step(kv, [1], 0, 4);
    step(kv, [2], 1, 2); // row 1 joins: rows double
    expect(kv.rows).toBe(2);
    step(kv, [3], 2, 6); // row 2 prefills its first chunk... (short runs: element copies)
    step(kv, [1, 2], 0, 1); // ...rows 0 and 1 decode...
    step(kv, [3], 2, 6); // ...its second chunk
    step(kv, [1, 2, 3], 0, 1);
    expect([0, 1, 2].map((r) => kv.length(r))).toEqual([6, 4, 13]);
    expectContents(kv, [1, 2, 3]);
  });

  test("a leaving row's slot takes the last row (its used positions only); n choices copy one prompt", () => {
    const kv = new KvBuffers(shape, { chunk: 4, maxPositions: 64, initialRows: 4 });
    step(kv, [1], 0, 3);
    step(kv, [2], 1, 7);
    step(kv, [3], 2, 2);
    step(kv, [1, 2, 3], 0, 1);
    kv.moveRow(2, 0); // sequence 1 leaves, sequence 3 moves into row 0
    expect(kv.length(2)).toBe(0);
    expect(kv.length(0)).toBe(3);
    step(kv, [3, 2], 0, 1);
    expectContents(kv, [3, 2]);
    kv.copyRow(1, 2); // a second choice of sequence 2's prompt
    kv.copyRow(1, 3);
    step(kv, [3, 2, 2, 2], 0, 1);
    expectContents(kv, [3, 2, 2, 2]);
  });

  test("long prefill chunks (copied as whole runs) and short ones land alike", () => {
    const kv = new KvBuffers(shape, { chunk: 16, maxPositions: 512, initialRows: 2 });
    step(kv, [1], 0, 100); // 100 × 4 values per head: one set() per (row, head)
    step(kv, [2], 1, 3);
    step(kv, [1], 0, 70);
    step(kv, [1, 2], 0, 1);
    expectContents(kv, [1, 2]);
  });

  test("fit shrinks the capacity to the longest row once a long row has left", () => {
    const kv = new KvBuffers(shape, { chunk: 4, maxPositions: 64, initialRows: 2 });
    step(kv, [1], 0, 30);
    step(kv, [2], 1, 5);
    expect(kv.capacity).toBe(32);
    kv.moveRow(1, 0);
    expect(kv.fit()).toBe(true);
    expect(kv.capacity).toBe(8);
    expect(kv.fit()).toBe(false);
    expectContents(kv, [2]);
  });

  test("refuses writes past the capacity, more positions than the context, and unknown rows", () => {
    const kv = new KvBuffers(shape, { chunk: 4, maxPositions: 8, initialRows: 1 });
    kv.reserve(1, 4);
    const rows = new Float32Array(5 * HD);
    expect(() => kv.write(0, rows, rows, 0, 1, 5)).toThrow(/exceed the capacity/);
    expect(() => kv.reserve(1, 9)).toThrow(/context of 8/);
    expect(() => kv.length(3)).toThrow(RangeError);
    expect(() => kv.write(0, rows.subarray(1), rows.subarray(1), 0, 1, 5)).toThrow(/expected/);
  });
});
