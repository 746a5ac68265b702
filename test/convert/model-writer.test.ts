/**
 * The model writer streams lazy weights one at a time into `model.onnx_data` (aligned offsets, the .onnx left
 * small) or inline, reports progress per weight, leaves nothing behind when a weight fails to load, and graph
 * outputs take their names without Identity nodes.
 */
import { afterAll, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { GraphBuilder } from "../../src/convert/onnx/graph-builder.ts";
import { writeModel, type WriteProgress } from "../../src/convert/onnx/model-writer.ts";
import { scratchDir } from "./convert-fixtures.ts";

const tmp = scratchDir("model-writer");
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** y = x · A · B with A [4, 512] and B [512, 2] produced lazily, counting how many producers run at once. */
function probe(fail = false) {
  const b = new GraphBuilder("probe");
  let active = 0;
  let maxActive = 0;
  const lazy = (values: Float32Array) => async () => {
    maxActive = Math.max(maxActive, ++active);
    await Bun.sleep(5);
    active--;
    if (fail) throw new Error("weight unreadable");
    return new Uint8Array(values.buffer);
  };
  const A = Float32Array.from({ length: 4 * 512 }, (_, i) => ((i % 7) - 3) / 8);
  const B = Float32Array.from({ length: 512 * 2 }, (_, i) => ((i % 5) - 2) / 16);
  const x = b.input("x", "float32", ["batch_size", 4]);
  const a = b.lazyInitializer("A", "float32", [4, 512], lazy(A));
  const bb = b.lazyInitializer("B", "float32", [512, 2], lazy(B));
  const small = b.lazyInitializer("bias", "float32", [2], lazy(Float32Array.of(0.5, -0.5)));
  b.output(b.add(b.matmul(b.matmul(x, a), bb), small), "y", "float32", ["batch_size", 2]);
  const expected = (input: number[]) => {
    const h = Array.from({ length: 512 }, (_, j) => input.reduce((s, v, i) => s + v * A[i * 512 + j]!, 0));
    return [0, 1].map((k) => h.reduce((s, v, j) => s + v * B[j * 2 + k]!, 0) + (k === 0 ? 0.5 : -0.5));
  };
  return { model: b.toModel(), expected, maxActive: () => maxActive };
}

async function run(file: string, input: number[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(file);
  const out = await session.run({ x: new ort.Tensor("float32", Float32Array.from(input), [1, 4]) });
  return [...(out.y!.data as Float32Array)];
}

test("external data: weights go to model.onnx_data one at a time, at aligned offsets, and onnxruntime runs the result", async () => {
  const dir = path.join(tmp, "external");
  fs.mkdirSync(dir);
  const p = probe();
  const progress: WriteProgress[] = [];
  await writeModel(p.model, path.join(dir, "model.onnx"), { externalData: "model.onnx_data", onProgress: (x) => progress.push(x) });
  expect(fs.readdirSync(dir).sort()).toEqual(["model.onnx", "model.onnx_data"]);
  // A (8 KiB) at 0, B (4 KiB) at the next 64-byte boundary; the 8-byte bias stays inline.
  expect(fs.statSync(path.join(dir, "model.onnx_data")).size).toBe(8192 + 4096);
  expect(fs.statSync(path.join(dir, "model.onnx")).size).toBeLessThan(1024);
  expect(p.maxActive()).toBe(1);
  expect(progress.map((x) => [x.tensorsDone, x.bytesDone])).toEqual([[1, 8192], [2, 12288], [3, 12296]]);
  expect(progress.every((x) => x.tensorsTotal === 3 && x.bytesTotal === 12296)).toBe(true);
  const got = await run(path.join(dir, "model.onnx"), [1, -2, 0.5, 3]);
  p.expected([1, -2, 0.5, 3]).forEach((v, i) => expect(got[i]!).toBeCloseTo(v, 4));
});

test("inline: one self-contained model.onnx", async () => {
  const dir = path.join(tmp, "inline");
  fs.mkdirSync(dir);
  const p = probe();
  await writeModel(p.model, path.join(dir, "model.onnx"));
  expect(fs.readdirSync(dir)).toEqual(["model.onnx"]);
  const got = await run(path.join(dir, "model.onnx"), [0, 1, 0, 0]);
  p.expected([0, 1, 0, 0]).forEach((v, i) => expect(got[i]!).toBeCloseTo(v, 4));
});

test("a weight that fails to load leaves neither model.onnx nor a partial data file", async () => {
  const dir = path.join(tmp, "failing");
  fs.mkdirSync(dir);
  await expect(writeModel(probe(true).model, path.join(dir, "model.onnx"), { externalData: "model.onnx_data" })).rejects.toThrow("weight unreadable");
  expect(fs.readdirSync(dir)).toEqual([]);
});

test("graph outputs are named by renaming their producer, not by Identity nodes", () => {
  const { model } = probe();
  expect(model.graph.nodes.map((n) => n.opType)).toEqual(["MatMul", "MatMul", "Add"]);
  expect(model.graph.nodes.at(-1)!.outputs).toEqual(["y"]);
  const b = new GraphBuilder("passthrough");
  b.output(b.input("x", "float32", [1]), "y", "float32", [1]); // an input cannot be renamed: Identity it is
  expect(b.toModel().graph.nodes.map((n) => n.opType)).toEqual(["Identity"]);
});
