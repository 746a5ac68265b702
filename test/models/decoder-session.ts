/**
 * Drives a decoder graph directly with onnxruntime-node: feeds in the Optimum layout, the KV cache passed from
 * `present.*` to `past_key_values.*`, and left padding with transformers.js's position_ids rule. A graph with a
 * `num_logits_to_keep` input (the converter's builds) gets 0 — every position's logits — unless told otherwise.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ort from "onnxruntime-node";

export interface DecoderShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
}

/** Cache tensors by input name (`past_key_values.{i}.key` / `.value`). */
export type KvCache = Record<string, ort.Tensor>;

export interface StepResult {
  /** [batch, seq, vocab], row-major. */
  logits: Float32Array;
  dims: readonly number[];
  cache: KvCache;
}

/** Reads the cache geometry from config.json, so the test also checks that config and graph agree. */
export function decoderShape(modelDir: string): DecoderShape {
  const c = JSON.parse(fs.readFileSync(path.join(modelDir, "config.json"), "utf8"));
  if (c.model_type === "gpt2") {
    return { layers: c.n_layer, kvHeads: c.n_head, headDim: c.n_embd / c.n_head, vocabSize: c.vocab_size };
  }
  return { layers: c.num_hidden_layers, kvHeads: c.num_key_value_heads, headDim: c.head_dim, vocabSize: c.vocab_size };
}

export class DecoderSession {
  private constructor(
    readonly session: ort.InferenceSession,
    readonly shape: DecoderShape,
  ) {}

  static async open(modelDir: string): Promise<DecoderSession> {
    return DecoderSession.openFile(path.join(modelDir, "onnx", "model.onnx"), decoderShape(modelDir));
  }

  static async openFile(onnxFile: string, shape: DecoderShape): Promise<DecoderSession> {
    return new DecoderSession(await ort.InferenceSession.create(onnxFile), shape);
  }

  emptyCache(batch: number): KvCache {
    const { layers, kvHeads, headDim } = this.shape;
    const cache: KvCache = {};
    for (let i = 0; i < layers; i++) {
      for (const kind of ["key", "value"]) {
        cache[`past_key_values.${i}.${kind}`] = new ort.Tensor("float32", new Float32Array(0), [batch, kvHeads, 0, headDim]);
      }
    }
    return cache;
  }

  /**
   * One forward pass. `ids` and `positions` are [batch][seq]; `mask` is [batch][past + seq].
   */
  async run(ids: number[][], mask: number[][], positions: number[][], cache?: KvCache, keep = 0): Promise<StepResult> {
    const batch = ids.length;
    const i64 = (rows: number[][]) =>
      new ort.Tensor("int64", BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [batch, rows[0]!.length]);
    const out = await this.session.run({
      input_ids: i64(ids),
      attention_mask: i64(mask),
      position_ids: i64(positions),
      ...(cache ?? this.emptyCache(batch)),
      ...(this.session.inputNames.includes("num_logits_to_keep") ? { num_logits_to_keep: new ort.Tensor("int64", BigInt64Array.of(BigInt(keep)), []) } : {}),
    });
    const next: KvCache = {};
    for (let i = 0; i < this.shape.layers; i++) {
      for (const kind of ["key", "value"]) next[`past_key_values.${i}.${kind}`] = out[`present.${i}.${kind}`]!;
    }
    const logits = out.logits!;
    return { logits: logits.data as Float32Array, dims: logits.dims, cache: next };
  }

  /** Unpadded single sequence, no cache: logits for every position. */
  async full(tokens: number[]): Promise<Float32Array> {
    const positions = tokens.map((_, i) => i);
    return (await this.run([tokens], [tokens.map(() => 1)], [positions])).logits;
  }

  /** Prefill `prefill` tokens, then feed the rest one at a time through the cache; logits for every position. */
  async incremental(tokens: number[], prefill: number): Promise<Float32Array> {
    const V = this.shape.vocabSize;
    const all = new Float32Array(tokens.length * V);
    let step = await this.run([tokens.slice(0, prefill)], [Array(prefill).fill(1)], [range(0, prefill)]);
    all.set(step.logits, 0);
    for (let t = prefill; t < tokens.length; t++) {
      step = await this.run([[tokens[t]!]], [Array(t + 1).fill(1)], [[t]], step.cache);
      all.set(step.logits, t * V);
    }
    return all;
  }
}

/** transformers.js's rule: position = (number of real tokens so far) - 1, and 1 at padding. */
export function positionsFromMask(mask: number[]): number[] {
  let seen = 0;
  return mask.map((m) => (m ? seen++ : 1));
}

export function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

export function argmax(values: ArrayLike<number>, from = 0, to = values.length): number {
  let best = from;
  for (let i = from; i < to; i++) if (values[i]! > values[best]!) best = i;
  return best - from;
}
