/**
 * Attention over an engine-owned KV cache, standalone: a stack of attention layers (GPT-2 124M shapes by
 * default: 12 layers, 12 heads, head size 64) whose per-layer K and V buffers [batch, kvHeads, capacity, headDim]
 * are graph INPUTS fed zero-copy; the graph returns the attention output and only the new K/V rows. Compares
 *
 *   gqa     com.microsoft.GroupQueryAttention, past = the buffer, `present` never fetched (seqlens_k, total_sequence_length)
 *   plain   standard ops over the whole capacity: q·Kᵀ (Transpose+MatMul, fused by the optimizer) plus a mask bias
 *           for unused slots, the new tokens' own scores, Softmax, p·V
 *   plainT  the same with K stored transposed [batch, kvHeads, headDim, capacity] so q·K needs no transpose
 *
 * and, with --rotary, rotary embeddings (com.microsoft.RotaryEmbedding outside the attention, or inside GQA).
 * Each layer's q, k, v are cheap functions of its input so that only attention differs between the variants.
 *
 *   bun scripts/bench/probes/attention-probe.ts [--threads 2] [--layers 12] [--rounds 5] [--reps 10] [--quick] [--rotary] [--profile]
 *
 * Results and the decision they led to: docs/perf/attention.md.
 */
import * as ort from "onnxruntime-node";
import { GraphBuilder, float, type Value } from "../../../src/convert/onnx/graph-builder.ts";
import { contribModel, f32, i32, i64, interleaved, INT32, loadLine, maxAbsDiff, openSession, opProfile, profiling, randomFloats, table } from "./probe-kit.ts";

type Variant = "gqa" | "plain" | "plainT";
type Rotary = "none" | "outside" | "inside";

interface Shape {
  batch: number;
  /** new tokens per row this step */
  seq: number;
  capacity: number;
  /** positions already in each row's cache */
  past: number[];
}

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const THREADS = arg("threads", 2);
const LAYERS = arg("layers", 12);
const ROUNDS = arg("rounds", 5);
const REPS = arg("reps", 10);
const QUICK = process.argv.includes("--quick");
const WITH_ROTARY = process.argv.includes("--rotary");
/** Print onnxruntime's per-operator times for each case instead of timing it. */
const PROFILE = process.argv.includes("--profile");
const H = 12;
const D = 64;
const E = H * D;
const MAX_POS = 2048;
const MASKED = -3.4028234663852886e38;

function build(variant: Variant, rotary: Rotary, shape: Shape) {
  const b = new GraphBuilder(`attn-${variant}`);
  const { batch: B, seq: S, capacity: C } = shape;
  let x = b.input("x", "float32", [B, S, E]);
  const pastLen = b.input("past_lengths", "int64", [B]); // plain variants
  const seqlensK = b.input("seqlens_k", "int64", [B]); // gqa: int32 (retyped below)
  const totalLen = b.input("total_sequence_length", "int64", []); // gqa: int32 scalar
  const positionIds = b.input("position_ids", "int64", [B, S]);
  const cosCache = b.initializer("cos_cache", [MAX_POS, D / 2], rotaryTable(Math.cos));
  const sinCache = b.initializer("sin_cache", [MAX_POS, D / 2], rotaryTable(Math.sin));
  const rope = (t: Value) => b.op("RotaryEmbedding", [t, positionIds, cosCache, sinCache], { num_heads: H });

  // Shared by every layer: additive bias [B, 1, 1, C] (0 for a used slot, MASKED for an unused one) and the
  // causal bias among the new tokens [S, S].
  const slot = b.range(b.int64s([0], []), b.int64s([C], []), b.int64s([1], []));
  const used = b.op("Less", [slot, b.unsqueeze(pastLen, [1])]); // [B, C]
  const pastBias = b.unsqueeze(b.where(used, b.scalar(0), b.scalar(MASKED)), [1, 2]); // (Reshape would read C = 0 as "copy")
  let newBias: Value | null = null;
  if (S > 1) {
    const i = b.range(b.int64s([0], []), b.int64s([S], []), b.int64s([1], []));
    newBias = b.where(b.lessOrEqual(i, b.unsqueeze(i, [1])), b.scalar(0), b.scalar(MASKED)); // [S, S]: key j ≤ query i
  }

  const heads = (t: Value) => b.transpose(b.reshape(t, [B, S, H, D]), [0, 2, 1, 3]);
  for (let l = 0; l < LAYERS; l++) {
    const kShape = variant === "plainT" ? [B, H, D, C] : [B, H, C, D];
    const kBuf = b.input(`cache.${l}.key`, "float32", kShape);
    const vBuf = b.input(`cache.${l}.value`, "float32", [B, H, C, D]);
    let q = x;
    let k = b.mul(x, b.scalar(0.5));
    const v = b.mul(x, b.scalar(0.25));
    if (rotary === "outside") {
      q = rope(q);
      k = rope(k);
    }
    let out: Value;
    if (variant === "gqa") {
      const attrs: Record<string, number | ReturnType<typeof float>> = { num_heads: H, kv_num_heads: H };
      const inputs = [q, k, v, kBuf, vBuf, seqlensK, totalLen];
      if (rotary === "inside") {
        attrs.do_rotary = 1;
        inputs.push(cosCache, sinCache);
      }
      // outputs 1 and 2 (present K/V) are left dangling: never graph outputs, never copied to JS
      out = b.opN("GroupQueryAttention", inputs, 3, attrs)[0]!;
      if (rotary === "inside") k = rope(k); // the engine needs the rotated new K rows
    } else {
      const qh = b.mul(heads(q), b.scalar(1 / Math.sqrt(D)));
      const kh = heads(k);
      const vh = heads(v);
      const kT = variant === "plainT" ? kBuf : b.transpose(kBuf, [0, 1, 3, 2]);
      const sPast = b.add(b.matmul(qh, kT), pastBias); // [B, H, S, C]
      let sNew = b.matmul(qh, b.transpose(kh, [0, 1, 3, 2])); // [B, H, S, S]
      if (newBias) sNew = b.add(sNew, newBias);
      const p = b.softmax(b.concat([sPast, sNew], -1), -1);
      const [pPast, pNew] = b.opN("Split", [p, b.int64s([C, S])], 2, { axis: -1 }) as [Value, Value];
      const o = b.add(b.matmul(pPast, vBuf), b.matmul(pNew, vh)); // [B, H, S, D]
      out = b.reshape(b.transpose(o, [0, 2, 1, 3]), [B, S, E]);
    }
    // new rows as the projection makes them, [B, S, kvHeads·D]: the engine scatters them into its buffers
    b.output(k, `new.${l}.key`, "float32", [B, S, E]);
    b.output(v, `new.${l}.value`, "float32", [B, S, E]);
    x = out;
  }
  b.output(x, "y", "float32", [B, S, E]);
  return contribModel(b, { inputTypes: { seqlens_k: INT32, total_sequence_length: INT32 } });
}

function rotaryTable(fn: (x: number) => number): Float32Array {
  const t = new Float32Array(MAX_POS * (D / 2));
  for (let p = 0; p < MAX_POS; p++) for (let j = 0; j < D / 2; j++) t[p * (D / 2) + j] = fn(p * 10000 ** ((-2 * j) / D));
  return t;
}

/** Caches filled with the same values in both layouts; unused slots hold garbage that the mask must hide. */
function feedsFor(variant: Variant, shape: Shape, session: ort.InferenceSession): Record<string, ort.Tensor> {
  const { batch: B, seq: S, capacity: C, past } = shape;
  const feeds: Record<string, ort.Tensor> = {
    x: f32(randomFloats(B * S * E, 7), [B, S, E]),
    past_lengths: i64(past, [B]),
    seqlens_k: i32(past.map((p) => p + S - 1), [B]),
    total_sequence_length: i32([Math.max(...past) + S], []),
    position_ids: i64(past.flatMap((p) => Array.from({ length: S }, (_, s) => p + s)), [B, S]),
  };
  for (let l = 0; l < LAYERS; l++) {
    const k = randomFloats(B * H * C * D, 100 + l);
    const v = randomFloats(B * H * C * D, 200 + l);
    feeds[`cache.${l}.key`] = variant === "plainT" ? f32(transposeLast2(k, B * H, C, D), [B, H, D, C]) : f32(k, [B, H, C, D]);
    feeds[`cache.${l}.value`] = f32(v, [B, H, C, D]);
  }
  const names = new Set(session.inputNames);
  return Object.fromEntries(Object.entries(feeds).filter(([n]) => names.has(n)));
}

function transposeLast2(a: Float32Array, outer: number, r: number, c: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let o = 0; o < outer; o++) for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[o * r * c + j * r + i] = a[o * r * c + i * c + j]!;
  return t;
}

function shapes(): { label: string; shape: Shape }[] {
  const out: { label: string; shape: Shape }[] = [];
  const caps = QUICK ? [512] : [256, 512, 1024];
  // a fresh prompt fed an empty cache (capacity 0): what the owned-KV interface does for a first chunk
  out.push({ label: "prefill S=128 B=1 cap=0 (fresh prompt)", shape: { batch: 1, seq: 128, capacity: 0, past: [0] } });
  for (const C of caps) {
    for (const B of [1, 8]) {
      // rows a little ragged and the buffer ~75% full: the state continuous batching lives in
      const past = Array.from({ length: B }, (_, r) => Math.max(1, Math.floor(C * 0.75) - 7 * r));
      out.push({ label: `decode B=${B} cap=${C}`, shape: { batch: B, seq: 1, capacity: C, past } });
    }
    out.push({ label: `prefill S=128 B=1 cap=${C} (empty past)`, shape: { batch: 1, seq: 128, capacity: C, past: [0] } });
    if (C >= 512) out.push({ label: `prefill S=128 B=1 cap=${C} (past 128)`, shape: { batch: 1, seq: 128, capacity: C, past: [128] } });
  }
  return out;
}

console.log(`# attention probe: ${LAYERS} layers, H=${H}, D=${D}, ${THREADS} threads; ${loadLine()}\n`);
const rows: (string | number)[][] = [];
for (const { label, shape } of shapes()) {
  const variants: [string, Variant, Rotary][] = [
    ["gqa", "gqa", "none"],
    ["plain", "plain", "none"],
    ["plainT", "plainT", "none"],
  ];
  if (WITH_ROTARY) variants.push(["gqa+rope in", "gqa", "inside"], ["gqa+rope out", "gqa", "outside"], ["plain+rope out", "plain", "outside"]);
  const runs: Record<string, () => Promise<unknown>> = {};
  const outputs: Record<string, Float32Array> = {};
  for (const [name, variant, rotary] of variants) {
    if (variant === "gqa" && shape.seq > 1 && shape.batch > 1) continue;
    const prefix = `/tmp/attention-probe-${process.pid}-${name.replace(/\W/g, "")}`;
    const session = await openSession(build(variant, rotary, shape), THREADS, PROFILE ? profiling(prefix) : {});
    const feeds = feedsFor(variant, shape, session);
    const fetches = ["y", ...Array.from({ length: LAYERS }, (_, l) => [`new.${l}.key`, `new.${l}.value`]).flat()];
    if (PROFILE) {
      const ops = await opProfile(session, prefix, () => session.run(feeds, fetches), 20);
      console.log(`${label} ${name}: ${ops.slice(0, 8).map(([op, us]) => `${op} ${(us / 1000).toFixed(2)}`).join(", ")} (ms per run)`);
      continue;
    }
    outputs[name] = (await session.run(feeds, fetches)).y!.data as Float32Array;
    runs[name] = () => session.run(feeds, fetches);
  }
  if (PROFILE) continue;
  const ms = await interleaved(runs, ROUNDS, REPS);
  const diff = (a: string, b: string) => (outputs[a] && outputs[b] ? maxAbsDiff(outputs[a], outputs[b]).toExponential(1) : "-");
  rows.push([label, ...variants.map(([n]) => ms[n] ?? NaN), diff("gqa", "plain"), diff("plain", "plainT")]);
  console.error(`${label}: ${variants.map(([n]) => `${n} ${ms[n]?.toFixed(2)} ms`).join(", ")}`);
}
if (!PROFILE) console.log(table(["shape (all layers, ms per run)", "gqa", "plain", "plainT", ...(WITH_ROTARY ? ["gqa+rope in", "gqa+rope out", "plain+rope out"] : []), "max |gqa−plain|", "max |plain−plainT|"], rows));
console.log(`\n${loadLine()}`);
