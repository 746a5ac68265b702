/**
 * GGUF tensor names → the converter's logical weights (W). A 2-D ggml tensor {ne0, ne1} is the row-major array
 * [ne1, ne0] = [out, in], which is already nn.Linear's layout. Two things are undone on the way:
 *   - llama-architecture q and k rows (weights and biases) were permuted by convert_hf_to_gguf.py
 *     (`LlamaModel.permute`) for llama.cpp's interleaved rope; they are put back in Hugging Face's rotate-half
 *     order. qwen2 / qwen3 use NEOX rope in llama.cpp and were never permuted.
 *   - a fused `attn_qkv` (gpt2, some others) is split into its q, k, v rows.
 * Both are row reorderings, so they apply to stored quantized blocks too (a row is a whole number of blocks).
 */
import { ConvertError } from "../convert-error.ts";
import { W, type DecoderArchitecture, type WeightTensor } from "../decoder-architecture.ts";
import type { GgufArchitectureName, GgufTensorFacts } from "./gguf-architecture.ts";
import type { GgufTensorSource } from "./gguf-tensor-source.ts";

/** Row order that undoes LlamaModel.permute for `heads` heads of `rows / heads` rows each. */
export function unpermuteOrder(rows: number, heads: number): number[] {
  const headDim = rows / heads;
  const half = headDim / 2;
  const order = new Array<number>(rows);
  for (let h = 0; h < heads; h++) {
    for (let t = 0; t < 2; t++) {
      for (let j = 0; j < half; j++) order[h * headDim + t * half + j] = h * headDim + 2 * j + t;
    }
  }
  return order;
}

function takeRows<T extends Float32Array | Uint8Array>(src: T, rowLength: number, order: readonly number[]): T {
  const out = new (src.constructor as new (n: number) => T)(order.length * rowLength);
  order.forEach((from, to) => out.set(src.subarray(from * rowLength, (from + 1) * rowLength), to * rowLength));
  return out;
}

const range = (start: number, count: number) => Array.from({ length: count }, (_, i) => start + i);

/** What the tensors themselves tell the architecture (vocabulary, tied head, biases, Llama 3 rope factors). */
export async function ggufTensorFacts(source: GgufTensorSource, layers: number): Promise<GgufTensorFacts> {
  const file = source.files[0]!.name;
  const embd = source.tensors.get("token_embd.weight");
  if (!embd || embd.shape.length !== 2) throw new ConvertError("checkpoint_invalid", `${file}: no 2-D token_embd.weight tensor`, file);
  const has = (n: string) => source.tensors.has(n);
  const everyLayer = (suffixes: string[]): boolean | null => {
    const present = range(0, layers).map((i) => suffixes.every((s) => has(`blk.${i}.${s}`)));
    if (present.every(Boolean)) return true;
    if (!present.some(Boolean)) return false;
    return null;
  };
  const flag = (what: string, ...alternatives: string[][]): boolean => {
    let seenPartial = false;
    for (const suffixes of alternatives) {
      const v = everyLayer(suffixes);
      if (v === true) return true;
      if (v === null) seenPartial = true;
    }
    if (seenPartial) throw new ConvertError("unsupported_config", `${file}: ${what} biases are present in some layers only`, file);
    return false;
  };
  if (range(0, layers).some((i) => has(`blk.${i}.ffn_gate.bias`))) {
    throw new ConvertError("unsupported_config", `${file}: ffn_gate.bias is not supported`, file);
  }
  const freqs = source.tensors.get("rope_freqs.weight");
  // one factor per rotary frequency; checked before reading so a hostile shape costs nothing
  if (freqs && (freqs.shape.length !== 1 || freqs.shape[0]! > 1 << 16)) {
    throw new ConvertError("checkpoint_invalid", `${freqs.file}: rope_freqs.weight has shape [${freqs.shape.join(", ")}], expected one factor per rotary frequency`, freqs.file);
  }
  const ropeFactors = freqs ? await source.readFloat32("rope_freqs.weight") : null;
  return {
    vocabSize: embd.shape[0]!,
    tied: !has("output.weight"),
    bias: {
      qkv: flag("q/k/v", ["attn_q.bias", "attn_k.bias", "attn_v.bias"], ["attn_qkv.bias"]),
      attnOut: flag("attention output", ["attn_output.bias"]),
      mlp: flag("feed-forward", ["ffn_up.bias", "ffn_down.bias"]),
    },
    ropeFactors,
  };
}

interface Plan {
  tensor: string;
  /** Which rows of the stored tensor, in order (all, when absent). */
  rows?: number[];
  shape: number[];
}

export function ggufWeights(source: GgufTensorSource, arch: DecoderArchitecture & { name: GgufArchitectureName }): Map<string, WeightTensor> {
  const file = source.files[0]!.name;
  const { hiddenSize: E, heads: H, kvHeads: KV, headDim: D, intermediateSize: I, vocabSize: V, layers } = arch;
  const used = new Set<string>(["rope_freqs.weight"]);
  const weights = new Map<string, WeightTensor>();
  const permuted = arch.name === "llama";

  /** `stored` is the tensor's expected shape; `rows` picks (and orders) the rows the logical weight takes. */
  const need = (tensor: string, stored: number[], logical: string, rows?: number[]) => {
    const info = source.tensors.get(tensor);
    if (!info) throw new ConvertError("checkpoint_invalid", `${file}: tensor ${tensor} is missing`, file);
    used.add(tensor);
    if (info.shape.length !== stored.length || info.shape.some((n, i) => n !== stored[i])) {
      throw new ConvertError("checkpoint_invalid", `${info.file}: tensor ${tensor} has shape [${info.shape.join(", ")}], expected [${stored.join(", ")}]`, info.file);
    }
    const shape = rows ? [rows.length, ...stored.slice(1)] : stored;
    weights.set(logical, weightTensor(source, { tensor, rows, shape }));
  };

  need("token_embd.weight", [V, E], W.tokenEmbedding);
  if (arch.positions.kind === "learned") need("position_embd.weight", [arch.maxPositions, E], W.positionEmbedding);
  const normParts = arch.norm.kind === "layernorm" ? (["weight", "bias"] as const) : (["weight"] as const);
  for (const p of normParts) need(`output_norm.${p}`, [E], W.finalNorm(p));
  if (!arch.tiedEmbeddings) need("output.weight", [V, E], W.lmHead);

  for (let i = 0; i < layers; i++) {
    const blk = `blk.${i}.`;
    for (const p of normParts) {
      need(`${blk}attn_norm.${p}`, [E], W.attnNorm(i, p));
      need(`${blk}ffn_norm.${p}`, [E], W.mlpNorm(i, p));
    }
    const qRows = permuted ? unpermuteOrder(H * D, H) : range(0, H * D);
    const kRows = permuted ? unpermuteOrder(KV * D, KV) : range(0, KV * D);
    const parts = (["weight", ...(arch.bias.qkv ? ["bias"] : [])] as ("weight" | "bias")[]);
    if (source.tensors.has(`${blk}attn_qkv.weight`)) {
      for (const p of parts) {
        const stored = [H * D + 2 * KV * D, ...(p === "weight" ? [E] : [])];
        const name = `${blk}attn_qkv.${p}`;
        need(name, stored, W.q(i, p), qRows);
        need(name, stored, W.k(i, p), kRows.map((r) => H * D + r));
        need(name, stored, W.v(i, p), range(H * D + KV * D, KV * D));
      }
    } else {
      for (const p of parts) {
        const tail = p === "weight" ? [E] : [];
        need(`${blk}attn_q.${p}`, [H * D, ...tail], W.q(i, p), permuted ? qRows : undefined);
        need(`${blk}attn_k.${p}`, [KV * D, ...tail], W.k(i, p), permuted ? kRows : undefined);
        need(`${blk}attn_v.${p}`, [KV * D, ...tail], W.v(i, p));
      }
    }
    need(`${blk}attn_output.weight`, [E, H * D], W.o(i, "weight"));
    if (arch.bias.attnOut) need(`${blk}attn_output.bias`, [E], W.o(i, "bias"));
    if (arch.qkNorm) {
      need(`${blk}attn_q_norm.weight`, [D], W.qNorm(i));
      need(`${blk}attn_k_norm.weight`, [D], W.kNorm(i));
    }
    if (arch.mlp === "swiglu") need(`${blk}ffn_gate.weight`, [I, E], W.gate(i));
    need(`${blk}ffn_up.weight`, [I, E], W.up(i, "weight"));
    need(`${blk}ffn_down.weight`, [E, I], W.down(i, "weight"));
    if (arch.bias.mlp) {
      need(`${blk}ffn_up.bias`, [I], W.up(i, "bias"));
      need(`${blk}ffn_down.bias`, [E], W.down(i, "bias"));
    }
  }
  const unknown = [...source.tensors.keys()].filter((n) => !used.has(n));
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 5).join(", ") + (unknown.length > 5 ? `, … (${unknown.length} in all)` : "");
    throw new ConvertError("unsupported_config", `${file}: tensors this ${arch.name} model does not use: ${shown}`, file);
  }
  return weights;
}

function weightTensor(source: GgufTensorSource, plan: Plan): WeightTensor {
  const info = source.tensors.get(plan.tensor)!;
  const stored = source.ggufInfo(plan.tensor)!;
  const rowElements = stored.dims[0]!;
  const rows = plan.rows;
  const tensor: WeightTensor = {
    shape: plan.shape,
    origin: `${info.file}: ${plan.tensor}`,
    async load() {
      const all = await source.readFloat32(plan.tensor);
      if (!rows) return all;
      // A 1-D bias is a column of one-element rows.
      return takeRows(all, stored.dims.length === 1 ? 1 : rowElements, rows);
    },
  };
  if (stored.type.blockSize > 1 && stored.dims.length === 2) {
    const rowBytes = (rowElements / stored.type.blockSize) * stored.type.blockBytes;
    tensor.quantized = {
      type: stored.type.name,
      async load() {
        const raw = await source.readRaw(plan.tensor);
        return rows ? takeRows(raw, rowBytes, rows) : raw;
      },
    };
  }
  return tensor;
}
