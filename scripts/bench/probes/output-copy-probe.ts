/**
 * What onnxruntime-node charges for fetched outputs: it copies every fetched output into new JS memory, so a
 * graph should return only what the engine reads. Times a graph whose outputs are the sizes a decode or prefill
 * step returns (logits of the last position vs all positions, the new K/V rows of 12 layers) against the same
 * graph returning one float, and the zero-copy feeding of a large input for contrast.
 *
 *   bun scripts/bench/probes/output-copy-probe.ts [--threads 2]
 */
import { GraphBuilder } from "../../../src/convert/onnx/graph-builder.ts";
import { contribModel, f32, i64, interleaved, loadLine, openSession, table } from "./probe-kit.ts";

const at = process.argv.indexOf("--threads");
const THREADS = at >= 0 ? Number(process.argv[at + 1]) : 2;
const V = 50257;

/** Outputs of `count` × `elems` float32 made by Expand from a scalar (the kernel's own work is one fill). */
async function outputsOf(count: number, elems: number) {
  const b = new GraphBuilder("out");
  const x = b.input("x", "float32", [1]);
  const n = b.input("n", "int64", [1]);
  for (let i = 0; i < count; i++) b.output(b.op("Expand", [b.add(x, b.scalar(i)), n]), `y${i}`, "float32", [elems]);
  const s = await openSession(contribModel(b), THREADS);
  const feeds = { x: f32(Float32Array.of(1), [1]), n: i64([elems], [1]) };
  return () => s.run(feeds);
}

/** A large input read by one tiny op: how much feeding `elems` floats costs (it is wrapped, not copied). */
async function inputOf(elems: number) {
  const b = new GraphBuilder("in");
  const x = b.input("x", "float32", [elems]);
  b.output(b.op("Slice", [x, b.int64s([0]), b.int64s([1])]), "y", "float32", [1]);
  const s = await openSession(contribModel(b), THREADS);
  const feeds = { x: f32(new Float32Array(elems), [elems]) };
  return () => s.run(feeds);
}

const cases: [string, number, number][] = [
  ["one float (baseline)", 1, 1],
  ["logits, last position, B=1 [1,1,V]", 1, V],
  ["logits, last position, B=8 [8,1,V]", 1, 8 * V],
  ["logits, all positions of a 128-token prefill [1,128,V]", 1, 128 * V],
  ["new K/V rows, decode B=8: 24 × [8,1,12,64]", 24, 8 * 768],
  ["new K/V rows, decode B=8, as one output [12,2,8,1,12,64]", 1, 24 * 8 * 768],
  ["new K/V rows, prefill 128: 24 × [1,128,12,64]", 24, 128 * 768],
  ["new K/V rows, prefill 128, as one output", 1, 24 * 128 * 768],
  ["whole KV cache as present.*, B=8 × 192 positions: 24 × [8,12,192,64]", 24, 8 * 12 * 192 * 64],
];
const runs: Record<string, () => Promise<unknown>> = {};
for (const [name, count, elems] of cases) runs[name] = await outputsOf(count, elems);
runs["input: whole KV cache fed, 24 × [8,12,256,64] as one input"] = await inputOf(24 * 8 * 12 * 256 * 64);
const ms = await interleaved(runs, 5, 10);
const base = ms["one float (baseline)"]!;
console.log(`# output copies in onnxruntime-node (${THREADS} threads; ${loadLine()})\n`);
console.log(
  table(
    ["fetched", "MB", "ms per run", "ms over baseline"],
    Object.entries(ms).map(([name, t]) => {
      const c = cases.find(([n]) => n === name);
      const mb = c ? (c[1] * c[2] * 4) / 1e6 : (24 * 8 * 12 * 256 * 64 * 4) / 1e6;
      return [name, mb, t, t - base];
    }),
  ),
);
