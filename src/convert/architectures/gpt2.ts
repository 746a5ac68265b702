/**
 * GPT-2 (transformers `GPT2LMHeadModel`): learned positions, pre-LayerNorm blocks, Conv1D weights, fused c_attn,
 * `activation_function` (gelu_new by default), attention scaled by 1/√head_dim, head tied to wte by default.
 */
import { checkArchitecture } from "../decoder-weight-shapes.ts";
import type { DecoderArchitecture } from "../decoder-architecture.ts";
import { gpt2Activation } from "./activation.ts";
import type { ArchitectureRecipe } from "./architecture-recipe.ts";
import { CONFIG_FILE, ConfigFields, exactDivision, LIMITS } from "./config-fields.ts";
import { gpt2StyleWeights } from "./gpt2-weights.ts";

export const gpt2Recipe: ArchitectureRecipe = {
  modelTypes: ["gpt2"],
  classNames: ["GPT2LMHeadModel", "GPT2Model"],
  label: "gpt2",
  read(json, stored) {
    const architecture = gpt2Architecture(new ConfigFields(json, "gpt2"));
    return { architecture, weights: gpt2StyleWeights(architecture, stored, "conv1d") };
  },
};

export function gpt2Architecture(c: ConfigFields): DecoderArchitecture {
  const hiddenSize = c.int("n_embd", 1, LIMITS.hidden);
  const heads = c.int("n_head", 1, LIMITS.heads);
  const headDim = exactDivision(c, { name: "n_embd", value: hiddenSize }, { name: "n_head", value: heads });
  const layers = c.int("n_layer", 1, LIMITS.layers);
  if (c.bool("scale_attn_by_inverse_layer_idx", false)) throw c.error("scale_attn_by_inverse_layer_idx is not supported");
  const a: DecoderArchitecture = {
    name: "gpt2",
    vocabSize: c.int("vocab_size", 1, LIMITS.vocab, 50257),
    hiddenSize,
    layers,
    heads,
    kvHeads: heads,
    headDim,
    intermediateSize: c.int("n_inner", 1, LIMITS.intermediate, 4 * hiddenSize),
    maxPositions: c.int("n_positions", 1, LIMITS.positions, 1024),
    positions: { kind: "learned" },
    norm: { kind: "layernorm", eps: c.positive("layer_norm_epsilon", 1e-5, 1) },
    normPlacement: "pre",
    mlp: gpt2Activation(c, "activation_function", "gelu_new"),
    bias: { qkv: true, attnOut: true, mlp: true },
    qkNorm: false,
    window: new Array(layers).fill(null),
    tiedEmbeddings: c.bool("tie_word_embeddings", true),
    attentionScale: c.bool("scale_attn_weights", true) ? 1 / Math.sqrt(headDim) : 1,
    bosTokenId: c.tokenIds("bos_token_id")[0] ?? null,
    eosTokenIds: c.tokenIds("eos_token_id"),
  };
  checkArchitecture(a, CONFIG_FILE);
  return a;
}
