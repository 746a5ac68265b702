/**
 * GPT-2-style stored names (`[transformer.]h.{i}.attn.c_attn`, `ln_1`, `mlp.c_fc`, `wte`, `wpe`, `ln_f`,
 * `lm_head`) → logical weights, for GPT-2's Conv1D layout ([in, out]) and GPT3-dev's nn.Linear layout ([out, in]).
 * The fused c_attn is cut into q, k and v (in that order along its output). `attn.bias` / `attn.masked_bias` are
 * causal-mask buffers, not weights, and are never read.
 */
import { ConvertError } from "../convert-error.ts";
import { W, type DecoderArchitecture, type WeightTensor } from "../decoder-architecture.ts";
import type { StoredWeights } from "./stored-weights.ts";

export type Gpt2Layout = "conv1d" | "linear";

/** "transformer." when the names carry GPT2LMHeadModel's prefix, "" for a bare GPT2Model file. */
export function gpt2Prefix(stored: StoredWeights): string {
  if (stored.has("transformer.wte.weight")) return "transformer.";
  if (stored.has("wte.weight")) return "";
  throw new ConvertError("checkpoint_invalid", "the checkpoint has neither transformer.wte.weight nor wte.weight: it is not a GPT-2-style checkpoint");
}

export function gpt2StyleWeights(a: DecoderArchitecture, stored: StoredWeights, layout: Gpt2Layout): Map<string, WeightTensor> {
  const p = gpt2Prefix(stored);
  const E = a.hiddenSize;
  const A = a.heads * a.headDim; // attention width (GPT3-dev v1: n_head · d_head, which may differ from n_embd)
  const I = a.intermediateSize;
  const out = new Map<string, WeightTensor>();
  const norm = (stored_: string, logical: (p: "weight" | "bias") => string) => {
    out.set(logical("weight"), stored.direct(`${stored_}.weight`, [E]));
    out.set(logical("bias"), stored.direct(`${stored_}.bias`, [E]));
  };
  /** A projection from `inSize` to `outSize`: Conv1D stores [in, out], Linear [out, in]. */
  const linear = (name: string, inSize: number, outSize: number) =>
    layout === "conv1d" ? stored.transposed(name, [inSize, outSize]) : stored.direct(name, [outSize, inSize]);

  out.set(W.tokenEmbedding, stored.direct(`${p}wte.weight`, [a.vocabSize, E]));
  out.set(W.positionEmbedding, stored.direct(`${p}wpe.weight`, [a.maxPositions, E]));
  for (let i = 0; i < a.layers; i++) {
    const h = `${p}h.${i}`;
    norm(`${h}.ln_1`, (x) => W.attnNorm(i, x));
    const qkv = `${h}.attn.c_attn.weight`;
    const parts = [W.q, W.k, W.v] as const;
    parts.forEach((logical, j) => {
      const [from, to] = [j * A, (j + 1) * A];
      out.set(logical(i, "weight"), layout === "conv1d" ? stored.transposedColumns(qkv, [E, 3 * A], from, to) : stored.rows(qkv, [3 * A, E], from, to));
      out.set(logical(i, "bias"), stored.rows(`${h}.attn.c_attn.bias`, [3 * A], from, to));
    });
    out.set(W.o(i, "weight"), linear(`${h}.attn.c_proj.weight`, A, E));
    out.set(W.o(i, "bias"), stored.direct(`${h}.attn.c_proj.bias`, [E]));
    norm(`${h}.ln_2`, (x) => W.mlpNorm(i, x));
    out.set(W.up(i, "weight"), linear(`${h}.mlp.c_fc.weight`, E, I));
    out.set(W.up(i, "bias"), stored.direct(`${h}.mlp.c_fc.bias`, [I]));
    out.set(W.down(i, "weight"), linear(`${h}.mlp.c_proj.weight`, I, E));
    out.set(W.down(i, "bias"), stored.direct(`${h}.mlp.c_proj.bias`, [E]));
  }
  norm(`${p}ln_f`, W.finalNorm);
  if (!a.tiedEmbeddings) out.set(W.lmHead, stored.direct("lm_head.weight", [a.vocabSize, E]));
  return out;
}
