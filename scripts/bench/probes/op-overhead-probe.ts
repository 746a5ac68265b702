/**
 * The fixed cost onnxruntime charges per node and per run, which bounds how fast a small model can decode: chains
 * of N cheap nodes (Add on a [1, 768] tensor, one GPT-2 hidden state) for several N, 1 and 2 threads. The slope is
 * the per-node cost, the intercept the per-run cost (JS binding, feeds, one output copy).
 *
 *   bun scripts/bench/probes/op-overhead-probe.ts
 */
import { GraphBuilder } from "../../../src/convert/onnx/graph-builder.ts";
import { contribModel, f32, interleaved, loadLine, openSession, randomFloats, table } from "./probe-kit.ts";

async function chain(nodes: number, threads: number) {
  const b = new GraphBuilder("chain");
  let x = b.input("x", "float32", [1, 768]);
  const c = b.initializer("c", [768], randomFloats(768, 1, 1e-3));
  for (let i = 0; i < nodes; i++) x = b.add(x, c);
  b.output(x, "y", "float32", [1, 768]);
  // level 1 keeps the chain (an "all" optimizer could fold constant adds in other graphs, not these)
  const s = await openSession(contribModel(b), threads, { graphOptimizationLevel: "basic" });
  const feeds = { x: f32(randomFloats(768, 2), [1, 768]) };
  return () => s.run(feeds);
}

const counts = [1, 100, 300, 600];
const rows: (string | number)[][] = [];
for (const threads of [1, 2]) {
  const cases: Record<string, () => Promise<unknown>> = {};
  for (const n of counts) cases[String(n)] = await chain(n, threads);
  const ms = await interleaved(cases, 5, 20);
  const slope = (ms["600"]! - ms["100"]!) / 500;
  rows.push([String(threads), ...counts.map((n) => ms[String(n)]!), (slope * 1000).toFixed(1), (ms["1"]! * 1000).toFixed(0)]);
}
console.log(`# onnxruntime per-node and per-run cost (${loadLine()})\n`);
console.log(table(["threads", ...counts.map((n) => `${n} nodes ms`), "µs per node", "µs per run (1 node)"], rows));
