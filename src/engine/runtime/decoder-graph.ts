import * as ort from "onnxruntime-node";
import { allocFloat, floatTensor, int64Tensor, toFloat32 } from "./tensor-data.ts";
import type { KvCache } from "./kv-cache.ts";

/**
 * A decoder-only ONNX graph in the Optimum layout (input_ids, attention_mask, position_ids,
 * past_key_values.{i}.key/value → logits, present.{i}.key/value), described from the graph itself so any
 * architecture exported that way runs: layer count, KV heads, head size and KV type come from its inputs.
 */
export class DecoderGraph {
  readonly kind = "optimum" as const;
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly kvType: "float32" | "float16";
  readonly hasPositionIds: boolean;
  private readonly hasUseCacheBranch: boolean;
  private readonly hasNumLogitsToKeep: boolean;
  private readonly hasTokenTypeIds: boolean;

  constructor(readonly session: ort.InferenceSession) {
    const names = new Set(session.inputNames);
    for (const required of ["input_ids", "attention_mask"]) {
      if (!names.has(required)) throw new Error(`the ONNX graph has no '${required}' input; it is not a decoder export in the Optimum layout`);
    }
    if (!session.outputNames.includes("logits")) throw new Error("the ONNX graph has no 'logits' output");
    let layers = 0;
    while (names.has(`past_key_values.${layers}.key`) && names.has(`past_key_values.${layers}.value`)) layers++;
    if (layers === 0) throw new Error("the ONNX graph has no past_key_values inputs: export it with KV cache (optimum-cli export onnx --task text-generation-with-past)");
    this.layers = layers;
    const meta = session.inputMetadata.find((m) => m.name === "past_key_values.0.key");
    if (!meta || !meta.isTensor || meta.shape.length !== 4) throw new Error("past_key_values.0.key is not a 4-D tensor [batch, heads, past, head_dim]");
    const [, heads, , dim] = meta.shape;
    if (typeof heads !== "number" || typeof dim !== "number") throw new Error("past_key_values.0.key must have fixed head count and head size in its shape");
    this.kvHeads = heads;
    this.headDim = dim;
    if (meta.type !== "float32" && meta.type !== "float16") throw new Error(`unsupported KV cache type ${meta.type}`);
    this.kvType = meta.type;
    this.hasPositionIds = names.has("position_ids");
    this.hasUseCacheBranch = names.has("use_cache_branch");
    this.hasNumLogitsToKeep = names.has("num_logits_to_keep") || names.has("logits_to_keep");
    this.hasTokenTypeIds = names.has("token_type_ids");
  }

  /** One-token pass: proves the graph runs and returns the logits width. */
  async warmUp(): Promise<number> {
    return (await this.forward({ tokens: [0], mask: [1], positions: [0], batch: 1, steps: 1, past: this.emptyCache(1), lastOnly: true })).vocab;
  }

  /** Elements of one row of one layer's key (or value) cache at sequence length `len`. */
  rowSize(len: number): number {
    return this.kvHeads * len * this.headDim;
  }

  emptyCache(batch: number): KvCache {
    const keys: ort.Tensor[] = [];
    const values: ort.Tensor[] = [];
    for (let i = 0; i < this.layers; i++) {
      keys.push(floatTensor(this.kvType, allocFloat(this.kvType, 0), [batch, this.kvHeads, 0, this.headDim]));
      values.push(floatTensor(this.kvType, allocFloat(this.kvType, 0), [batch, this.kvHeads, 0, this.headDim]));
    }
    return { batch, length: 0, keys, values };
  }

  /**
   * One forward pass: `tokens` is [batch × steps] row-major, `mask` [batch × (past + steps)], `positions`
   * [batch × steps]. Returns float32 logits [batch × keep × vocab] (keep = steps, or 1 when only the last
   * position is wanted and the graph can skip the rest) and the new cache.
   */
  async forward(args: {
    tokens: readonly number[] | BigInt64Array;
    mask: readonly number[] | BigInt64Array;
    positions: readonly number[] | BigInt64Array;
    batch: number;
    steps: number;
    past: KvCache;
    lastOnly: boolean;
  }): Promise<{ logits: Float32Array; vocab: number; kept: number; present: KvCache }> {
    const { batch, steps, past } = args;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64Tensor(args.tokens, [batch, steps]),
      attention_mask: int64Tensor(args.mask, [batch, past.length + steps]),
    };
    if (this.hasPositionIds) feeds.position_ids = int64Tensor(args.positions, [batch, steps]);
    if (this.hasTokenTypeIds) feeds.token_type_ids = int64Tensor(new BigInt64Array(batch * steps), [batch, steps]);
    if (this.hasUseCacheBranch) feeds.use_cache_branch = new ort.Tensor("bool", new Uint8Array([past.length > 0 ? 1 : 0]), [1]);
    if (this.hasNumLogitsToKeep) {
      const name = this.session.inputNames.includes("num_logits_to_keep") ? "num_logits_to_keep" : "logits_to_keep";
      feeds[name] = int64Tensor([args.lastOnly ? 1 : steps], []);
    }
    for (let i = 0; i < this.layers; i++) {
      feeds[`past_key_values.${i}.key`] = past.keys[i]!;
      feeds[`past_key_values.${i}.value`] = past.values[i]!;
    }
    const out = await this.session.run(feeds);
    const logitsT = out.logits!;
    const dims = logitsT.dims;
    const vocab = dims[dims.length - 1]!;
    const kept = dims.length === 3 ? dims[1]! : 1;
    const keys: ort.Tensor[] = [];
    const values: ort.Tensor[] = [];
    for (let i = 0; i < this.layers; i++) {
      keys.push(out[`present.${i}.key`]!);
      values.push(out[`present.${i}.value`]!);
    }
    return { logits: toFloat32(logitsT), vocab, kept, present: { batch, length: past.length + steps, keys, values } };
  }
}
