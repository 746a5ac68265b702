/** test-embed is a bidirectional encoder whose padding is invisible to the real tokens. */
import { beforeAll, expect, test } from "bun:test";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { maxAbsDiff } from "./decoder-session.ts";
import { testModelPath } from "./test-models-dir.ts";

const HIDDEN = 64;
let session: ort.InferenceSession;
beforeAll(async () => {
  session = await ort.InferenceSession.create(path.join(testModelPath("test-embed"), "onnx", "model.onnx"));
});

async function encode(ids: number[][], mask: number[][]): Promise<ort.Tensor> {
  const i64 = (rows: number[][]) =>
    new ort.Tensor("int64", BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [rows.length, rows[0]!.length]);
  const out = await session.run({ input_ids: i64(ids), attention_mask: i64(mask), token_type_ids: i64(ids.map((r) => r.map(() => 0))) });
  return out.last_hidden_state!;
}

test("declares input_ids, attention_mask, token_type_ids and last_hidden_state", () => {
  expect(session.inputNames).toEqual(["input_ids", "attention_mask", "token_type_ids"]);
  expect(session.outputNames).toEqual(["last_hidden_state"]);
});

test("a right-padded batch row equals the sequence alone, and every token sees the whole sequence", async () => {
  const long = [464, 2068, 7586, 21831, 18045];
  const short = [15496, 995];
  const alone = (await encode([short], [[1, 1]])).data as Float32Array;
  const batch = await encode([long, [...short, 50256, 50256, 50256]], [[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]]);
  expect(batch.dims).toEqual([2, 5, HIDDEN]);
  const data = batch.data as Float32Array;
  expect(data.every(Number.isFinite)).toBe(true);
  expect(maxAbsDiff(data.subarray(5 * HIDDEN, 7 * HIDDEN), alone)).toBeLessThan(1e-4);

  // Bidirectional: changing the last token changes the first token's state (a causal model would not).
  const changed = (await encode([[15496, 1110]], [[1, 1]])).data as Float32Array;
  expect(maxAbsDiff(changed.subarray(0, HIDDEN), alone.subarray(0, HIDDEN))).toBeGreaterThan(1e-3);
});
