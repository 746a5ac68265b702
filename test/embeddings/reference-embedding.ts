/**
 * The reference the server's embeddings are checked against, computed in the test process: test-embed's ONNX
 * graph run directly with onnxruntime-node (one input per run, no padding), mean over the tokens of
 * `last_hidden_state`, L2-normalised, exactly as the registry entry (pooling: mean, normalize: true) says.
 */
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { testModelsDir } from "../chat/chat-kit.ts";

let session: Promise<ort.InferenceSession> | null = null;

function embedSession(): Promise<ort.InferenceSession> {
  session ??= ort.InferenceSession.create(path.join(testModelsDir(), "test-embed", "onnx", "model.onnx"));
  return session;
}

const int64 = (values: number[]) => new ort.Tensor("int64", BigInt64Array.from(values, (v) => BigInt(v)), [1, values.length]);

/** `last_hidden_state` of one token sequence: [tokens][width] as a flat array. */
async function lastHiddenState(ids: number[]): Promise<{ data: Float32Array; tokens: number; width: number }> {
  const s = await embedSession();
  const out = await s.run({ input_ids: int64(ids), attention_mask: int64(ids.map(() => 1)), token_type_ids: int64(ids.map(() => 0)) });
  const hidden = out.last_hidden_state;
  if (!hidden) throw new Error("test-embed has no last_hidden_state output");
  const [, tokens, width] = hidden.dims as [number, number, number];
  return { data: hidden.data as Float32Array, tokens, width };
}

/** The first token's state (CLS pooling), before normalisation. */
export async function firstTokenState(ids: number[]): Promise<number[]> {
  const { data, width } = await lastHiddenState(ids);
  return Array.from(data.subarray(0, width));
}

/** Mean-pooled `last_hidden_state` of one token sequence, before normalisation. */
export async function meanPooled(ids: number[]): Promise<Float64Array> {
  const { data, tokens, width } = await lastHiddenState(ids);
  const mean = new Float64Array(width);
  for (let t = 0; t < tokens; t++) for (let h = 0; h < width; h++) mean[h]! += data[t * width + h]!;
  for (let h = 0; h < width; h++) mean[h]! /= tokens;
  return mean;
}

export function l2Normalized(v: ArrayLike<number>): number[] {
  const norm = Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
  return Array.from(v, (x) => x / norm);
}

/** What /v1/embeddings must answer for these token ids. */
export async function referenceEmbedding(ids: number[]): Promise<number[]> {
  return l2Normalized(await meanPooled(ids));
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function norm(v: ArrayLike<number>): number {
  return Math.sqrt(dot(v, v));
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return dot(a, b) / (norm(a) * norm(b));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** base64 of little-endian float32s → numbers. */
export function decodeFloat32Base64(b64: string): number[] {
  const bytes = Buffer.from(b64, "base64");
  if (bytes.length % 4 !== 0) throw new Error(`base64 embedding has ${bytes.length} bytes, not a multiple of 4`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}
