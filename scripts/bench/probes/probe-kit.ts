/**
 * What every probe under scripts/bench/probes needs: a graph built with the test-model builder, made to carry
 * com.microsoft contrib ops and non-float initializers (which the builder does not know), turned into an
 * in-memory onnxruntime session with the server's own session options, and a timer that reports medians.
 *
 * Probes print tables; they assert nothing about speed (the numbers are recorded in docs/perf/).
 */
import * as os from "node:os";
import * as ort from "onnxruntime-node";
import type { GraphBuilder } from "../../../src/convert/onnx/graph-builder.ts";
import { DataType, encodeModel, type DataTypeCode, type ModelProto, type TensorProto } from "../../../src/convert/onnx/onnx-proto.ts";
import { sessionOptions } from "../../../src/engine/runtime/session-options.ts";

/** ONNX TensorProto.DataType codes the builder's table lacks. */
export const UINT8 = 2 as DataTypeCode;
export const INT32 = DataType.INT32;

/** Operators that live in onnxruntime's contrib domain. */
const CONTRIB_OPS = new Set(["GroupQueryAttention", "MatMulNBits", "RotaryEmbedding", "FusedMatMul", "SkipLayerNormalization"]);

export interface ContribExtras {
  /** Initializers of other element types (uint8 packed weights, int32 constants), added as they are. */
  initializers?: TensorProto[];
  /** Graph inputs whose element type is not one the builder offers (e.g. int32 seqlens_k). */
  inputTypes?: Record<string, DataTypeCode>;
}

/** The builder's model with contrib ops put in their domain, extra initializers added and input types fixed. */
export function contribModel(b: GraphBuilder, extras: ContribExtras = {}): ModelProto {
  const m = b.toModel();
  const nodes = m.graph.nodes.map((n) => (CONTRIB_OPS.has(n.opType) ? { ...n, domain: "com.microsoft" } : n));
  const inputs = m.graph.inputs.map((i) => (extras.inputTypes?.[i.name] !== undefined ? { ...i, elemType: extras.inputTypes[i.name]! } : i));
  return {
    ...m,
    opsetImports: [...m.opsetImports, { domain: "com.microsoft", version: 1 }],
    graph: { ...m.graph, nodes, inputs, initializers: [...m.graph.initializers, ...(extras.initializers ?? [])] },
  };
}

export function rawInitializer(name: string, dataType: DataTypeCode, dims: readonly number[], data: ArrayBufferView): TensorProto {
  return { name, dataType, dims, data: { kind: "raw", bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) } };
}

export function modelBytes(m: ModelProto): Uint8Array {
  const chunks = encodeModel(m);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export async function openSession(m: ModelProto, threads = 2, extra: ort.InferenceSession.SessionOptions = {}): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(modelBytes(m), { ...sessionOptions(["cpu"], threads), ...extra });
}

export const f32 = (data: Float32Array, dims: number[]) => new ort.Tensor("float32", data, dims);
export const i32 = (data: ArrayLike<number>, dims: number[]) => new ort.Tensor("int32", Int32Array.from(data), dims);
export const i64 = (data: ArrayLike<number>, dims: number[]) => new ort.Tensor("int64", BigInt64Array.from(Array.from(data), (v) => BigInt(v)), dims);

/** Deterministic values in [-scale, scale) (xorshift), so every probe run feeds the same data. */
export function randomFloats(count: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 4294967296) * 2 * scale - scale;
  }
  return out;
}

export function median(xs: readonly number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2;
}

/**
 * Median ms of `fn` over `reps` timed calls after `warmup` untimed ones. Probes interleave the cases they compare
 * (see `interleaved`) because this machine is shared and its speed drifts within seconds.
 */
export async function timeIt(fn: () => Promise<unknown> | unknown, reps: number, warmup = 2): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

/**
 * Runs each case `rounds` times in turn (a, b, c, a, b, c, …), `reps` timed calls a round, and returns for each case
 * the fastest call. Other processes share this machine's two cores and come and go within milliseconds: a slow
 * call is someone else's work, so the fastest of many is the closest to the uncontended figure, and interleaving
 * gives every case the same chances. PROBE_STAT=median reports the median of all calls instead.
 */
export async function interleaved(cases: Record<string, () => Promise<unknown> | unknown>, rounds: number, reps: number): Promise<Record<string, number>> {
  const by: Record<string, number[]> = {};
  for (const name of Object.keys(cases)) await timeIt(cases[name]!, 1, 2);
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(cases)) {
      for (let i = 0; i < reps; i++) {
        const t = performance.now();
        await fn();
        (by[name] ??= []).push(performance.now() - t);
      }
    }
  }
  const pick = process.env.PROBE_STAT === "median" ? median : (v: number[]) => Math.min(...v);
  return Object.fromEntries(Object.entries(by).map(([k, v]) => [k, pick(v)]));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cell = (v: string | number) => (typeof v === "number" ? (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)) : v);
  return [`| ${header.join(" | ")} |`, `|${header.map((_, i) => (i === 0 ? "---" : "--:")).join("|")}|`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`)].join("\n");
}

export function loadLine(): string {
  const [a, b] = os.loadavg();
  return `load average ${a!.toFixed(2)} (1 min) / ${b!.toFixed(2)} (5 min)`;
}

/** Session options that make onnxruntime write a trace for `opProfile` (one file per session under `prefix`). */
export function profiling(prefix: string): ort.InferenceSession.SessionOptions {
  return { enableProfiling: true, profileFilePrefix: prefix };
}

/**
 * Per-operator time of `runs` calls, from onnxruntime's own profiler (the session opened with `profiling(prefix)`):
 * [op type, µs per run], slowest first. The trace file is removed.
 */
export async function opProfile(session: ort.InferenceSession, prefix: string, run: () => Promise<unknown>, runs: number): Promise<[string, number][]> {
  for (let i = 0; i < runs; i++) await run();
  session.endProfiling();
  const fs = await import("node:fs");
  const path = await import("node:path");
  const dir = path.dirname(prefix);
  const file = fs.readdirSync(dir).filter((f) => path.join(dir, f).startsWith(prefix) && f.endsWith(".json")).map((f) => path.join(dir, f)).sort().at(-1);
  if (!file) throw new Error(`no profile written under ${prefix}`);
  const events = JSON.parse(fs.readFileSync(file, "utf8")) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
  fs.rmSync(file, { force: true });
  const by = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== "Node" || !e.name.endsWith("_kernel_time")) continue;
    const op = e.args?.op_name ?? e.name;
    by.set(op, (by.get(op) ?? 0) + e.dur / runs);
  }
  return [...by.entries()].sort((a, b) => b[1] - a[1]);
}
