/**
 * The cheapest way to put a step's new K/V rows into the engine's buffers from JS, GPT-2 124M shapes (12 layers,
 * 12 heads, head size 64, capacity 256), for a decode step at batch 1 and 8 and a 128-token prefill:
 *   KvBuffers.write      new rows [B, heads, seq, D] (the cache's layout): element loop for short runs, one set()
 *                        per (row, head) for long ones
 *   loop from BSHD       new rows [B, seq, heads, D] (the projection's layout): element loop per 64-value run
 *   set from BSHD        the same with subarray + set per 64-value run (a view object per copy)
 *
 *   bun scripts/bench/probes/kv-write-probe.ts
 */
import { KvBuffers } from "../../../src/engine/runtime/kv-buffers.ts";
import { interleaved, loadLine, randomFloats, table } from "./probe-kit.ts";

const shape = { layers: 12, kvHeads: 12, headDim: 64 };
const { layers: L, kvHeads: H, headDim: D } = shape;

function fromBshd(kv: KvBuffers, keys: Float32Array, values: Float32Array, count: number, steps: number, useSet: boolean): void {
  const cap = kv.capacity;
  for (let l = 0; l < L; l++) {
    const kBuf = kv.keys[l]!;
    const vBuf = kv.values[l]!;
    for (let b = 0; b < count; b++) {
      const start = kv.length(b);
      for (let s = 0; s < steps; s++) {
        for (let h = 0; h < H; h++) {
          const src = ((b * steps + s) * H + h) * D;
          const dst = ((b * H + h) * cap + start + s) * D;
          if (useSet) {
            kBuf.set(keys.subarray(src, src + D), dst);
            vBuf.set(values.subarray(src, src + D), dst);
          } else {
            for (let i = 0; i < D; i++) {
              kBuf[dst + i] = keys[src + i]!;
              vBuf[dst + i] = values[src + i]!;
            }
          }
        }
      }
    }
  }
}

const rows: (string | number)[][] = [];
for (const [label, count, steps] of [["decode B=1", 1, 1], ["decode B=8", 8, 1], ["prefill 128, B=1", 1, 128]] as const) {
  const kv = new KvBuffers(shape, { chunk: 64, maxPositions: 1024, initialRows: count });
  kv.reserve(count, 256);
  for (let b = 0; b < count; b++) kv.advance(b, 1, steps === 1 ? 190 : 0);
  const keys = randomFloats(count * steps * H * D, 1);
  const values = randomFloats(count * steps * H * D, 2);
  const ms = await interleaved(
    {
      write: () => {
        for (let l = 0; l < L; l++) kv.write(l, keys, values, 0, count, steps);
      },
      loop: () => fromBshd(kv, keys, values, count, steps, false),
      set: () => fromBshd(kv, keys, values, count, steps, true),
    },
    5,
    50,
  );
  rows.push([label, ms.write!, ms.loop!, ms.set!]);
}
console.log(`# writing new K/V rows into the buffers, all 12 layers (${loadLine()})\n`);
console.log(table(["step (ms, 12 layers K+V)", "KvBuffers.write from BHSD", "loop from BSHD", "subarray + set from BSHD"], rows));
