/**
 * The whole fast path on peer-bench's GPT-2 124M (the weights llama-server runs): the owned-KV graph
 * (owned-kv-gpt2.ts) fed from KvBuffers, at fp32 / q8 / q4.
 *
 *   check  correctness and quality: the fp32 graph against the Optimum export of the same weights (full forward),
 *          in-place KV (prefill, chunked prefill with a past, decode, a batch with rows leaving and capacity
 *          growing) against the full forward, and mean |Δ log-prob| of a 128-token text against fp32 per dtype
 *   speed    ms per decode step at batch 1 and 8 (session.run alone, and with the engine's work around it: views,
 *            writing the new rows, argmax), prefill of 128 tokens, next to the Optimum export's step today
 *   profile  onnxruntime's per-operator times of those steps, per dtype (where a step's time goes)
 *
 *   bun scripts/bench/probes/owned-kv-model-probe.ts check|speed|profile [--threads 2] [--models /tmp/peer/models]
 *
 * Results: docs/perf/owned-kv.md.
 */
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { get_encoding } from "tiktoken";
import { KvBuffers } from "../../../src/engine/runtime/kv-buffers.ts";
import { buildOwnedKvGpt2, gpt2Dims, type BuildOptions, type Gpt2Dims } from "./owned-kv-gpt2.ts";
import { readGguf } from "./gguf-lite.ts";
import { i64, interleaved, loadLine, openSession, opProfile, profiling, table } from "./probe-kit.ts";
import { sessionOptions } from "../../../src/engine/runtime/session-options.ts";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const MODE = process.argv[2] ?? "check";
const THREADS = Number(arg("threads", "2"));
const MODELS = arg("models", "/tmp/peer/models");
const DIR = path.join(MODELS, "gpt2-small");
const gguf = (q: string) => path.join(DIR, `gpt2-small-${q}.gguf`);

const TEXT =
  "The history of the city begins with a small market on the river, where farmers from the valley brought grain, " +
  "wool and cheese to trade with boatmen coming down from the mountains. Over the next two centuries the market grew " +
  "into a town with a church, a bridge of stone and a wall that ran from the river to the hill. Merchants built tall " +
  "houses along the main street, and the guilds met in a hall that still stands beside the square. When the railway " +
  "arrived, the old wall was torn down to make room for the station, and the town spread quickly across the fields. " +
  "Today visitors walk along the river to see the bridge and the guild hall.";

interface Variant {
  name: string;
  file: string;
  opts: BuildOptions;
}

const VARIANTS: Variant[] = [
  { name: "fp32", file: gguf("f32"), opts: { bits: null, headBits: null } },
  { name: "q8 (GGUF Q8_0 blocks)", file: gguf("Q8_0"), opts: { bits: 8, headBits: 8 } },
  { name: "q4 (GGUF Q4_0 blocks, head Q6_K→8)", file: gguf("Q4_0"), opts: { bits: 4, headBits: 8 } },
  { name: "q4 (GGUF Q4_0 blocks, head Q6_K→4)", file: gguf("Q4_0"), opts: { bits: 4, headBits: 4 } },
  { name: "q8 ours from f32", file: gguf("f32"), opts: { bits: 8, headBits: 8 } },
  { name: "q4 ours sym, head 8", file: gguf("f32"), opts: { bits: 4, headBits: 8, symmetric: true } },
  { name: "q4 ours zero points, head 8", file: gguf("f32"), opts: { bits: 4, headBits: 8, symmetric: false } },
  { name: "q4 ours sym, head 4", file: gguf("f32"), opts: { bits: 4, headBits: 4, symmetric: true } },
];

/** One session of an owned-KV graph and the engine-side loop around it. */
class OwnedKvModel {
  private constructor(
    readonly session: ort.InferenceSession,
    readonly dims: Gpt2Dims,
  ) {}

  static async open(v: Variant, extra: ort.InferenceSession.SessionOptions = {}): Promise<OwnedKvModel> {
    const tensors = readGguf(v.file);
    return new OwnedKvModel(await openSession(buildOwnedKvGpt2(tensors, v.opts), THREADS, extra), gpt2Dims(tensors));
  }

  newBuffers(rows: number): KvBuffers {
    return new KvBuffers({ layers: this.dims.layers, kvHeads: this.dims.heads, headDim: 64 }, { chunk: 64, maxPositions: this.dims.positions, initialRows: rows });
  }

  /**
   * One forward of rows [first, first + count) over `tokens` [count × steps]; `past` = feed the rows' cache
   * (false: a fresh prompt, fed an empty cache). Writes the new rows in place and returns the logits.
   */
  async forward(kv: KvBuffers, first: number, count: number, tokens: number[], steps: number, keep: number, past = true): Promise<Float32Array> {
    const feeds = this.feeds(kv, first, count, tokens, steps, keep, past);
    const out = await this.session.run(feeds);
    kv.reserve(first + count, kv.longest(first, count) + steps);
    for (let l = 0; l < this.dims.layers; l++) kv.write(l, out[`new.${l}.key`]!.data as Float32Array, out[`new.${l}.value`]!.data as Float32Array, first, count, steps);
    kv.advance(first, count, steps);
    return out.logits!.data as Float32Array;
  }

  feeds(kv: KvBuffers, first: number, count: number, tokens: number[], steps: number, keep: number, past = true): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {
      input_ids: i64(tokens, [count, steps]),
      past_lengths: i64(Array.from({ length: count }, (_, b) => (past ? kv.length(first + b) : 0)), [count]),
      num_logits_to_keep: i64([keep], []),
    };
    const empty = new Float32Array(0);
    for (let l = 0; l < this.dims.layers; l++) {
      for (const kind of ["key", "value"] as const) {
        feeds[`cache.${l}.${kind}`] = past
          ? new ort.Tensor("float32", kv.view(l, kind, first, count), kv.viewDims(count))
          : new ort.Tensor("float32", empty, [count, this.dims.heads, 0, 64]);
      }
    }
    return feeds;
  }
}

function logSoftmaxAt(logits: Float32Array, offset: number, vocab: number, id: number): number {
  let max = -Infinity;
  for (let j = 0; j < vocab; j++) max = Math.max(max, logits[offset + j]!);
  let sum = 0;
  for (let j = 0; j < vocab; j++) sum += Math.exp(logits[offset + j]! - max);
  return logits[offset + id]! - max - Math.log(sum);
}

function maxDiff(a: Float32Array, aOff: number, b: Float32Array, bOff: number, n: number): number {
  let m = 0;
  for (let j = 0; j < n; j++) m = Math.max(m, Math.abs(a[aOff + j]! - b[bOff + j]!));
  return m;
}

function argmax(a: Float32Array, off: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (a[off + j]! > a[off + best]!) best = j;
  return best;
}

async function check(): Promise<void> {
  const enc = get_encoding("gpt2");
  const ids = Array.from(enc.encode(TEXT)).slice(0, 128);
  enc.free();
  if (ids.length < 128) throw new Error(`text has only ${ids.length} tokens`);
  const fp32 = await OwnedKvModel.open(VARIANTS[0]!);
  const V = fp32.dims.vocab;
  const full = await fp32.forward(fp32.newBuffers(1), 0, 1, ids, ids.length, ids.length, false);

  // 1. against the Optimum export of the same weights
  const optimum = await ort.InferenceSession.create(path.join(DIR, "onnx", "model.onnx"), sessionOptions(["cpu"], THREADS));
  const feeds: Record<string, ort.Tensor> = {
    input_ids: i64(ids, [1, ids.length]),
    attention_mask: i64(ids.map(() => 1), [1, ids.length]),
    position_ids: i64(ids.map((_, i) => i), [1, ids.length]),
  };
  for (let l = 0; l < fp32.dims.layers; l++) for (const kind of ["key", "value"]) feeds[`past_key_values.${l}.${kind}`] = new ort.Tensor("float32", new Float32Array(0), [1, 12, 0, 64]);
  const ref = (await optimum.run(feeds)).logits!.data as Float32Array;
  await optimum.release();
  const vsOptimum = maxDiff(full, 0, ref, 0, full.length);

  // 2. one row: prefill 64 (fresh, no logits), 32 more over the cache, a chunk of 16 scored at every position,
  //    then decode one token at a time
  const kv = fp32.newBuffers(1);
  let inPlace = 0;
  let logits = await fp32.forward(kv, 0, 1, ids.slice(0, 64), 64, 0, false);
  if (logits.length !== 0) throw new Error(`keep 0 returned ${logits.length} logits`);
  logits = await fp32.forward(kv, 0, 1, ids.slice(64, 96), 32, 1);
  inPlace = Math.max(inPlace, maxDiff(logits, 0, full, 95 * V, V));
  logits = await fp32.forward(kv, 0, 1, ids.slice(96, 112), 16, 16);
  inPlace = Math.max(inPlace, maxDiff(logits, 0, full, 96 * V, 16 * V));
  for (let p = 112; p < 128; p++) {
    logits = await fp32.forward(kv, 0, 1, [ids[p]!], 1, 1);
    inPlace = Math.max(inPlace, maxDiff(logits, 0, full, p * V, V));
  }

  // 3. a batch: three rows of different lengths decode together; the middle one leaves (the last moves into its
  //    slot), capacity grows past 64, and every row's logits match its own full forward
  const batch = fp32.newBuffers(3);
  const starts = [50, 20, 35];
  const rowsIds = [0, 1, 2];
  for (let r = 0; r < 2; r++) {
    batch.reserve(r + 1, starts[r]!);
    await fp32.forward(batch, r, 1, ids.slice(0, starts[r]!), starts[r]!, 1, false);
  }
  // the third row prefills in two chunks, the second over its own slot (a view that starts at row 2)
  batch.reserve(3, starts[2]!);
  await fp32.forward(batch, 2, 1, ids.slice(0, 20), 20, 0, false);
  logits = await fp32.forward(batch, 2, 1, ids.slice(20, starts[2]!), starts[2]! - 20, 1);
  let batched = maxDiff(logits, 0, full, (starts[2]! - 1) * V, V);
  for (let step = 0; step < 30; step++) {
    if (step === 10) {
      batch.moveRow(2, 1); // row 1 (20 tokens in) leaves; row 2 takes its slot
      rowsIds.splice(1, 1, 2);
      rowsIds.pop();
    }
    const count = rowsIds.length;
    const tokens = rowsIds.map((_, b) => ids[batch.length(b)]!);
    const positions = rowsIds.map((_, b) => batch.length(b));
    logits = await fp32.forward(batch, 0, count, tokens, 1, 1);
    positions.forEach((p, b) => (batched = Math.max(batched, maxDiff(logits, b * V, full, p * V, V))));
  }

  // 4. quality: mean |Δ log-prob| of the text's tokens against fp32
  const lp = (l: Float32Array) => ids.slice(1).map((id, i) => logSoftmaxAt(l, i * V, V, id));
  const base = lp(full);
  const quality: (string | number)[][] = [];
  for (const v of VARIANTS.slice(1)) {
    const m = await OwnedKvModel.open(v);
    const l = await m.forward(m.newBuffers(1), 0, 1, ids, ids.length, ids.length, false);
    if ((await m.forward(m.newBuffers(1), 0, 1, ids.slice(0, 8), 8, 0, false)).length !== 0) throw new Error(`${v.name}: keep 0 returned logits`);
    const d = lp(l).map((x, i) => Math.abs(x - base[i]!));
    let agree = 0;
    for (let i = 0; i < ids.length; i++) if (argmax(l, i * V, V) === argmax(full, i * V, V)) agree++;
    quality.push([v.name, (d.reduce((a, b) => a + b, 0) / d.length).toFixed(4), Math.max(...d).toFixed(3), `${agree}/${ids.length}`]);
    await m.session.release();
  }
  console.log(`# owned-KV GPT-2 124M check (${THREADS} threads)\n`);
  console.log(table(["fp32 owned-KV graph against", "max |Δ logit|"], [
    ["Optimum export, same weights, full forward of 128 tokens", vsOptimum.toExponential(2)],
    ["its own full forward: prefill 64 (empty cache, keep 0) + 32 and 16 (all logits) over the cache + 16 decode steps", inPlace.toExponential(2)],
    ["its own full forward: 3 rows (one prefilled in 2 chunks in slot 2) decoding as a batch, one leaving (moved slot), capacity 64 → 128", batched.toExponential(2)],
  ]));
  console.log(`\n${table(["dtype (vs fp32, 127 predicted tokens of a 128-token text)", "mean |Δ log-prob|", "max |Δ log-prob|", "same argmax"], quality)}`);
}

async function speed(): Promise<void> {
  const models: Record<string, OwnedKvModel> = {};
  for (const v of VARIANTS.slice(0, 4)) models[v.name] = await OwnedKvModel.open(v);
  const optimum = await ort.InferenceSession.create(path.join(DIR, "onnx", "model.onnx"), sessionOptions(["cpu"], THREADS));
  const rows: (string | number)[][] = [];
  for (const B of [1, 8]) {
    const past = Array.from({ length: B }, (_, b) => 192 - 5 * b);
    const cases: Record<string, () => Promise<unknown>> = {};
    for (const [name, m] of Object.entries(models)) {
      const kv = m.newBuffers(B);
      kv.reserve(B, 256);
      for (let b = 0; b < B; b++) kv.advance(b, 1, past[b]!); // zeros: the values do not change the work
      const feeds = m.feeds(kv, 0, B, past.map(() => 464), 1, 1);
      cases[`${name}|run`] = () => m.session.run(feeds);
      // the engine's step: fresh feeds over views, run, write new rows, argmax per row; then undo the advance
      cases[`${name}|step`] = async () => {
        const logits = await m.forward(kv, 0, B, past.map(() => 464), 1, 1);
        for (let b = 0; b < B; b++) {
          argmax(logits, b * m.dims.vocab, m.dims.vocab);
          kv.truncate(b, past[b]!);
        }
      };
    }
    // today's Optimum path: the whole cache goes in and comes back out as present.* every step
    const T = 192;
    const of: Record<string, ort.Tensor> = {
      input_ids: i64(past.map(() => 464), [B, 1]),
      attention_mask: i64(new Array(B * (T + 1)).fill(1), [B, T + 1]),
      position_ids: i64(past.map(() => T), [B, 1]),
    };
    for (let l = 0; l < 12; l++) for (const kind of ["key", "value"]) of[`past_key_values.${l}.${kind}`] = new ort.Tensor("float32", new Float32Array(B * 12 * T * 64), [B, 12, T, 64]);
    cases["optimum fp32 (today)|run"] = () => optimum.run(of);
    const ms = await interleaved(cases, 5, 5);
    for (const name of [...Object.keys(models), "optimum fp32 (today)"]) {
      const run = ms[`${name}|run`]!;
      const stepMs = ms[`${name}|step`];
      rows.push([`decode B=${B} (past ≈192, capacity 256)`, name, run, stepMs ?? "-", (1000 * B) / (stepMs ?? run)]);
    }
  }
  const prefill: Record<string, () => Promise<unknown>> = {};
  for (const [name, m] of Object.entries(models)) {
    const kv = m.newBuffers(1);
    const feeds = m.feeds(kv, 0, 1, Array.from({ length: 128 }, (_, i) => 464 + i), 128, 1, false);
    prefill[name] = () => m.session.run(feeds);
  }
  const pms = await interleaved(prefill, 3, 3);
  for (const [name, t] of Object.entries(pms)) rows.push(["prefill 128 tokens, B=1 (empty cache)", name, t, "-", (128 * 1000) / t]);
  console.log(`# owned-KV GPT-2 124M speed (${THREADS} threads; ${loadLine()})\n`);
  console.log(table(["case", "dtype", "session.run ms", "engine step ms", "tok/s (step)"], rows));
}

/** Operator classes a step's time is reported in. */
function opClass(op: string): string {
  if (op === "MatMulNBits") return "MatMulNBits (linear + head)";
  if (op === "Gemm") return "Gemm (fp32 head)";
  if (op === "MatMul" || op === "FusedMatMul") return "MatMul/FusedMatMul (fp32 linear + attention)";
  if (op === "Softmax") return "Softmax";
  if (op === "LayerNormalization") return "LayerNorm";
  return "other (Concat, Split, Transpose, Gelu parts, Add, …)";
}

async function profile(): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const v of VARIANTS.slice(0, 4)) {
    for (const [label, B, steps, pastLen] of [["decode B=1", 1, 1, 192], ["decode B=8", 8, 1, 192], ["prefill 128", 1, 128, 0]] as const) {
      const prefix = `/tmp/owned-kv-profile-${process.pid}`;
      const m = await OwnedKvModel.open(v, profiling(prefix));
      const kv = m.newBuffers(B);
      kv.reserve(B, 256);
      for (let b = 0; b < B; b++) kv.advance(b, 1, pastLen);
      const feeds = m.feeds(kv, 0, B, new Array(B * steps).fill(464), steps, 1, steps === 1);
      const ops = await opProfile(m.session, prefix, () => m.session.run(feeds), 10);
      const by = new Map<string, number>();
      for (const [op, us] of ops) by.set(opClass(op), (by.get(opClass(op)) ?? 0) + us / 1000);
      const total = [...by.values()].reduce((a, b) => a + b, 0);
      rows.push([v.name, label, total, ...[...by.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, ms]) => `${k} ${ms.toFixed(1)}`)]);
      await m.session.release();
    }
  }
  console.log(`# owned-KV GPT-2 124M: kernel time per run by operator (${THREADS} threads; ${loadLine()})\n`);
  console.log(table(["dtype", "step", "kernels ms", "1st", "2nd", "3rd", "4th"], rows));
}

if (MODE === "check") await check();
else if (MODE === "profile") await profile();
else if (MODE === "speed") await speed();
else throw new Error(`mode ${MODE}: check, speed or profile`);
