import * as ort from "onnxruntime-node";
import type { Settings } from "../../config/settings-spec.ts";
import type { ModelSpec } from "../../registry/registry-entry.ts";
import type { ModelConfig } from "../model-config.ts";
import type { ModelFiles } from "../model-files.ts";
import { createSession } from "../runtime/create-session.ts";
import { int64Tensor, toFloat32 } from "../runtime/tensor-data.ts";
import { TextTokenizer } from "../tokenizer/text-tokenizer.ts";

/** Inputs per forward pass: many inputs are embedded in batches, not one at a time. */
const BATCH = 32;

/**
 * An encoder with a last_hidden_state output, pooled (mean over real tokens, or the first token) and
 * L2-normalised as its registry entry says.
 */
export class EmbeddingModel {
  readonly kind = "embeddings" as const;

  private constructor(
    readonly spec: ModelSpec,
    readonly tokenizer: TextTokenizer,
    private readonly session: ort.InferenceSession,
    readonly contextLength: number,
    readonly dimensions: number,
    readonly device: "cpu" | "cuda",
    readonly deviceReason: string,
  ) {}

  static async load(spec: ModelSpec, files: ModelFiles, config: ModelConfig, settings: Settings): Promise<EmbeddingModel> {
    const tokenizer = await TextTokenizer.load(files.dir, { chatTemplate: null, tiktoken: null });
    const { session, device, deviceReason } = await createSession(files.onnxFile, spec.device, settings.threads);
    if (!session.inputNames.includes("input_ids")) throw new Error("the ONNX graph has no 'input_ids' input");
    const hidden = typeof config.raw.hidden_size === "number" ? config.raw.hidden_size : null;
    const contextLength = spec.maxContextTokens ?? config.contextLength ?? settings.maxContextTokens;
    const model = new EmbeddingModel(spec, tokenizer, session, contextLength, hidden ?? 0, device, deviceReason);
    const [probe] = await model.embed([[tokenizer.bosTokenId ?? 0]]);
    (model as { dimensions: number }).dimensions = probe!.length;
    return model;
  }

  /** Token ids of one input, with the special tokens the encoder was trained with ([CLS] … [SEP]). */
  encode(text: string): number[] {
    return this.tokenizer.encode(text, true);
  }

  async embed(inputs: number[][]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < inputs.length; i += BATCH) out.push(...(await this.embedBatch(inputs.slice(i, i + BATCH))));
    return out;
  }

  private async embedBatch(batch: number[][]): Promise<Float32Array[]> {
    const B = batch.length;
    const L = Math.max(...batch.map((x) => x.length));
    const pad = this.tokenizer.bosTokenId ?? 0;
    const ids = new Array<number>(B * L).fill(pad);
    const mask = new Array<number>(B * L).fill(0);
    batch.forEach((row, b) => row.forEach((id, t) => ((ids[b * L + t] = id), (mask[b * L + t] = 1))));
    const feeds: Record<string, ort.Tensor> = { input_ids: int64Tensor(ids, [B, L]) };
    if (this.session.inputNames.includes("attention_mask")) feeds.attention_mask = int64Tensor(mask, [B, L]);
    if (this.session.inputNames.includes("token_type_ids")) feeds.token_type_ids = int64Tensor(new Array(B * L).fill(0), [B, L]);
    const res = await this.session.run(feeds);
    const name = this.session.outputNames.includes("last_hidden_state") ? "last_hidden_state" : this.session.outputNames[0]!;
    const t = res[name]!;
    const H = t.dims[t.dims.length - 1]!;
    const data = toFloat32(t);
    return batch.map((row, b) => {
      const v = new Float32Array(H);
      if (this.spec.pooling === "cls") {
        v.set(data.subarray(b * L * H, b * L * H + H));
      } else {
        for (let t2 = 0; t2 < row.length; t2++) {
          const off = (b * L + t2) * H;
          for (let h = 0; h < H; h++) v[h] = v[h]! + data[off + h]!;
        }
        for (let h = 0; h < H; h++) v[h] = v[h]! / row.length;
      }
      return this.spec.normalize ? l2Normalize(v) : v;
    });
  }
}

export function l2Normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
  return v;
}
