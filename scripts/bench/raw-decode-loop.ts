/**
 * The ceiling for one stream: a greedy decode loop written directly against onnxruntime-node — the same model
 * file and session options as the server, the KV cache passed from present to past, argmax in place — with
 * nothing else around it (no scheduler, no sampler objects, no HTTP).
 */
import * as ort from "onnxruntime-node";
import { sessionOptions } from "../../src/engine/runtime/session-options.ts";

export interface RawLoopResult {
  /** One forward pass over the whole prompt, ms. */
  prefillMs: number;
  /** Decode steps per second after the prompt (one token each). */
  decodeTokPerS: number;
}

export class RawDecodeLoop {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly layers: number,
    private readonly kvShape: [number, number],
  ) {}

  static async open(file: string, threads: number): Promise<RawDecodeLoop> {
    const session = await ort.InferenceSession.create(file, sessionOptions(["cpu"], threads));
    let layers = 0;
    while (session.inputNames.includes(`past_key_values.${layers}.key`)) layers++;
    const meta = session.inputMetadata.find((m) => m.name === "past_key_values.0.key");
    if (!meta?.isTensor) throw new Error("not a decoder graph with a KV cache");
    const [, heads, , dim] = meta.shape;
    return new RawDecodeLoop(session, layers, [Number(heads), Number(dim)]);
  }

  async run(prompt: readonly number[], steps: number): Promise<RawLoopResult> {
    const [heads, dim] = this.kvShape;
    const feeds: Record<string, ort.Tensor> = {};
    for (let i = 0; i < this.layers; i++) {
      feeds[`past_key_values.${i}.key`] = new ort.Tensor("float32", new Float32Array(0), [1, heads, 0, dim]);
      feeds[`past_key_values.${i}.value`] = new ort.Tensor("float32", new Float32Array(0), [1, heads, 0, dim]);
    }
    const n = prompt.length;
    feeds.input_ids = int64(prompt, [1, n]);
    feeds.attention_mask = int64(new Array<number>(n).fill(1), [1, n]);
    feeds.position_ids = int64(prompt.map((_, i) => i), [1, n]);
    const started = performance.now();
    let out = await this.session.run(feeds);
    const prefillMs = performance.now() - started;
    let token = lastArgmax(out.logits!);

    const decodeStart = performance.now();
    for (let step = 0; step < steps; step++) {
      const length = n + step;
      const next: Record<string, ort.Tensor> = {
        input_ids: int64([token], [1, 1]),
        attention_mask: int64(new Array<number>(length + 1).fill(1), [1, length + 1]),
        position_ids: int64([length], [1, 1]),
      };
      for (let i = 0; i < this.layers; i++) {
        next[`past_key_values.${i}.key`] = out[`present.${i}.key`]!;
        next[`past_key_values.${i}.value`] = out[`present.${i}.value`]!;
      }
      out = await this.session.run(next);
      token = lastArgmax(out.logits!);
    }
    const decodeMs = performance.now() - decodeStart;
    return { prefillMs, decodeTokPerS: (steps * 1000) / decodeMs };
  }

  /**
   * Decode steps of `batch` rows over a synthetic past of `pastLength` positions (zeros: the values do not
   * change the work), as a batched step costs: what onnxruntime itself can do at that batch size.
   */
  async batchedSteps(batch: number, pastLength: number, steps: number): Promise<{ msPerStep: number; tokPerS: number }> {
    const [heads, dim] = this.kvShape;
    let past: Record<string, ort.Tensor> = {};
    for (let i = 0; i < this.layers; i++) {
      past[`past_key_values.${i}.key`] = new ort.Tensor("float32", new Float32Array(batch * heads * pastLength * dim), [batch, heads, pastLength, dim]);
      past[`past_key_values.${i}.value`] = new ort.Tensor("float32", new Float32Array(batch * heads * pastLength * dim), [batch, heads, pastLength, dim]);
    }
    const started = performance.now();
    for (let step = 0; step < steps; step++) {
      const length = pastLength + step;
      const out = await this.session.run({
        input_ids: int64(new Array<number>(batch).fill(464), [batch, 1]),
        attention_mask: int64(new Array<number>(batch * (length + 1)).fill(1), [batch, length + 1]),
        position_ids: int64(new Array<number>(batch).fill(length), [batch, 1]),
        ...past,
      });
      past = {};
      for (let i = 0; i < this.layers; i++) {
        past[`past_key_values.${i}.key`] = out[`present.${i}.key`]!;
        past[`past_key_values.${i}.value`] = out[`present.${i}.value`]!;
      }
    }
    const ms = (performance.now() - started) / steps;
    return { msPerStep: ms, tokPerS: (batch * 1000) / ms };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function int64(values: readonly number[], dims: number[]): ort.Tensor {
  return new ort.Tensor("int64", BigInt64Array.from(values, (v) => BigInt(v)), dims);
}

function lastArgmax(logits: ort.Tensor): number {
  const data = logits.data as Float32Array;
  const vocab = logits.dims[logits.dims.length - 1]!;
  const base = data.length - vocab;
  let best = 0;
  for (let j = 1; j < vocab; j++) if (data[base + j]! > data[base + best]!) best = j;
  return best;
}
