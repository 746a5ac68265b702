/**
 * The graphs the converter builds, timed step by step as the engine runs them (OwnedKvGraph over KvBuffers): a
 * decode step at batch 1 and 8 over a cache of ≈192 positions (capacity 256) and a fresh 128-token prefill, per
 * dtype, next to the Optimum export's decode step; `profile` adds onnxruntime's per-operator times.
 *
 *   bun scripts/bench/probes/built-step-probe.ts speed|profile [--checkpoint /tmp/peer/models/gpt2-small-hf]
 *       [--export /tmp/peer/models/gpt2-small/onnx/model.onnx] [--threads 2] [--dtypes fp32,q8,q4]
 *
 * Builds go to /tmp/built-step-probe/<dtype> and are reused while the builder version is the same.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { BUILDER_VERSION } from "../../../src/convert/builder-version.ts";
import { buildDecoder, type ComputeDtype } from "../../../src/convert/build-decoder.ts";
import type { KvBuffers } from "../../../src/engine/runtime/kv-buffers.ts";
import { OwnedKvFeeds, OwnedKvGraph } from "../../../src/engine/runtime/owned-kv-graph.ts";
import { sessionOptions } from "../../../src/engine/runtime/session-options.ts";
import { i64, interleaved, loadLine, opProfile, profiling, table } from "./probe-kit.ts";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const MODE = process.argv[2] ?? "speed";
const THREADS = Number(arg("threads", "2"));
const CHECKPOINT = arg("checkpoint", "/tmp/peer/models/gpt2-small-hf");
const EXPORT = arg("export", "/tmp/peer/models/gpt2-small/onnx/model.onnx");
/** dtype[:KEY=VALUE,…] per variant: the environment set while building it (experiment switches). */
const VARIANTS = arg("dtypes", "fp32;q8;q4").split(" ").flatMap((v) => v.split(";")).filter(Boolean);
const OUT = "/tmp/built-step-probe";
const PAST = 192;

async function built(variant: string): Promise<string> {
  const [dtype, env = ""] = variant.split(":") as [ComputeDtype, string?];
  const dir = path.join(OUT, `${variant.replace(/[^\w=-]+/g, "_")}-v${BUILDER_VERSION}`);
  const file = path.join(dir, "model.onnx");
  if (!fs.existsSync(file) || process.env.REBUILD) {
    fs.rmSync(dir, { recursive: true, force: true });
    const saved = { ...process.env };
    for (const kv of env.split(",").filter(Boolean)) {
      const [k, v] = kv.split("=") as [string, string];
      process.env[k] = v;
    }
    try {
      await buildDecoder(CHECKPOINT, dir, { dtype });
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  }
  return file;
}

interface Case {
  graph: OwnedKvGraph;
  /** fresh KvBuffers with `rows` rows of PAST positions (zeros: the values do not change the work). */
  rows(n: number): KvBuffers;
}

async function open(file: string, extra: ort.InferenceSession.SessionOptions = {}): Promise<Case> {
  const graph = new OwnedKvGraph(await ort.InferenceSession.create(file, { ...sessionOptions(["cpu"], THREADS), ...extra }));
  return {
    graph,
    rows(n) {
      const kv = graph.newBuffers({ chunk: 64, maxPositions: 1024, initialRows: n });
      kv.reserve(n, PAST + 64);
      for (let b = 0; b < n; b++) kv.advance(b, 1, PAST - 3 * b);
      return kv;
    },
  };
}

/** One engine decode step over rows [0, n), then the rows are put back to their lengths. */
function stepper(c: Case, n: number) {
  const kv = c.rows(n);
  const feeds = new OwnedKvFeeds();
  const tokens = new Int32Array(n).fill(464);
  return async () => {
    await c.graph.forward({ kv, first: 0, count: n, steps: 1, tokens, keep: 1, fresh: false }, feeds);
    for (let b = 0; b < n; b++) kv.truncate(b, PAST - 3 * b);
  };
}

function prefiller(c: Case) {
  const tokens = Array.from({ length: 128 }, (_, i) => 464 + i);
  return async () => {
    const kv = c.graph.newBuffers({ chunk: 64, maxPositions: 1024 });
    await c.graph.forward({ kv, first: 0, count: 1, steps: 128, tokens, keep: 1, fresh: true });
  };
}

async function optimumStep(n: number) {
  const s = await ort.InferenceSession.create(EXPORT, sessionOptions(["cpu"], THREADS));
  const feeds: Record<string, ort.Tensor> = {
    input_ids: i64(new Array(n).fill(464), [n, 1]),
    attention_mask: i64(new Array(n * (PAST + 1)).fill(1), [n, PAST + 1]),
    position_ids: i64(new Array(n).fill(PAST), [n, 1]),
  };
  for (let l = 0; l < 12; l++) for (const kind of ["key", "value"]) feeds[`past_key_values.${l}.${kind}`] = new ort.Tensor("float32", new Float32Array(n * 12 * PAST * 64), [n, 12, PAST, 64]);
  return () => s.run(feeds);
}

async function speed(): Promise<void> {
  const cases: Record<string, () => Promise<unknown>> = {};
  for (const d of VARIANTS) {
    const c = await open(await built(d));
    cases[`${d}|decode B=1`] = stepper(c, 1);
    cases[`${d}|decode B=8`] = stepper(c, 8);
    cases[`${d}|prefill 128`] = prefiller(c);
  }
  if (fs.existsSync(EXPORT)) {
    cases["optimum export fp32|decode B=1"] = await optimumStep(1);
    cases["optimum export fp32|decode B=8"] = await optimumStep(8);
  }
  const ms = process.argv.includes("--cpu") ? await cpuTimes(cases, 4, 6) : await interleaved(cases, 4, 6);
  const rows = Object.entries(ms).map(([k, v]) => {
    const [d, what] = k.split("|") as [string, string];
    const tokens = what === "decode B=8" ? 8 : what === "prefill 128" ? 128 : 1;
    return [what, d, v, (1000 * tokens) / v];
  });
  rows.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  console.log(`# built graphs, engine steps (${THREADS} threads; ${loadLine()}; fastest of 24 calls)\n`);
  console.log(table(["step", "graph", "ms", "tok/s"], rows));
}

/**
 * CPU ms per call (user + system of this process), the best of `rounds` interleaved rounds of `reps` calls: on a
 * machine others load, the work a graph does is steadier than its wall time (run with --threads 1, where no
 * worker thread spins).
 */
async function cpuTimes(cases: Record<string, () => Promise<unknown>>, rounds: number, reps: number): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  for (const fn of Object.values(cases)) await fn();
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(cases)) {
      const before = process.cpuUsage();
      for (let i = 0; i < reps; i++) await fn();
      const d = process.cpuUsage(before);
      best[name] = Math.min(best[name] ?? Infinity, (d.user + d.system) / 1000 / reps);
    }
  }
  return best;
}

async function profile(): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const d of VARIANTS) {
    for (const [label, run] of [["decode B=1", (c: Case) => stepper(c, 1)], ["decode B=8", (c: Case) => stepper(c, 8)], ["prefill 128", prefiller]] as const) {
      const prefix = `/tmp/built-step-profile-${process.pid}`;
      const c = await open(await built(d), profiling(prefix));
      const fn = run(c);
      for (let i = 0; i < 3; i++) await fn();
      const ops = await opProfile(c.graph.session, prefix, fn, 10);
      const total = ops.reduce((a, [, us]) => a + us, 0) / 1000;
      rows.push([d, label, total, ...ops.slice(0, 7).map(([op, us]) => `${op} ${(us / 1000).toFixed(2)}`)]);
      await c.graph.session.release();
    }
  }
  console.log(`# built graphs: kernel ms per run by operator (${THREADS} threads; ${loadLine()})\n`);
  console.log(table(["dtype", "step", "kernels ms", "1st", "2nd", "3rd", "4th", "5th", "6th", "7th"], rows));
}

if (MODE === "speed") await speed();
else if (MODE === "profile") await profile();
else throw new Error(`mode ${MODE}: speed or profile`);
