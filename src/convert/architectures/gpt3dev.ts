/**
 * GPT3-dev (krll-corp/GPT3, `model_type: gpt3dev`), decided from the config's own fields, never the repo's name:
 *
 * - v1 (`legacy/modeling_gpt3dev.py`; its config carries `d_head`): GPT-2 names with nn.Linear weights, exact GELU,
 *   an MLP of 4·n_embd, attention of n_head × d_head scaled by 1/√d_head, `use_pre_layernorm` (false: post-LN,
 *   `x = ln_1(x + attn(x)); x = ln_2(x + mlp(x))`), ln_f at the end either way, its own lm_head (used when stored).
 * - v2 (`modeling_gpt3dev.py`; its config carries `window_size`): the same blocks on GPT2Attention (head_dim =
 *   n_embd / n_head), and on odd layers a band: query i sees key j only when 0 ≤ i − j ≤ window_size. Its head
 *   follows GPT2LMHeadModel (tied unless `tie_word_embeddings` is false).
 */
import type { DecoderArchitecture } from "../decoder-architecture.ts";
import { checkArchitecture } from "../decoder-weight-shapes.ts";
import type { ArchitectureRecipe } from "./architecture-recipe.ts";
import { CONFIG_FILE, ConfigFields, exactDivision, LIMITS } from "./config-fields.ts";
import { gpt2StyleWeights } from "./gpt2-weights.ts";
import type { StoredWeights } from "./stored-weights.ts";

export const gpt3devRecipe: ArchitectureRecipe = {
  modelTypes: ["gpt3dev"],
  classNames: ["GPT3DevLMHeadModel"],
  label: "gpt3dev (v1, v2)",
  read(json, stored) {
    const architecture = gpt3devArchitecture(new ConfigFields(json, "gpt3dev"), stored);
    return { architecture, weights: gpt2StyleWeights(architecture, stored, "linear") };
  },
};

export function gpt3devArchitecture(c: ConfigFields, stored: StoredWeights | null): DecoderArchitecture {
  const hiddenSize = c.int("n_embd", 1, LIMITS.hidden);
  const heads = c.int("n_head", 1, LIMITS.heads);
  const layers = c.int("n_layer", 1, LIMITS.layers);
  const v2 = c.has("window_size");
  if (!v2 && !c.has("d_head")) {
    throw c.error("has neither d_head (v1, krll-corp/GPT3 legacy/modeling_gpt3dev.py) nor window_size (v2, modeling_gpt3dev.py), so which GPT3-dev architecture it is cannot be told");
  }
  let headDim: number;
  let window: (number | null)[];
  if (v2) {
    headDim = exactDivision(c, { name: "n_embd", value: hiddenSize }, { name: "n_head", value: heads });
    if (c.has("d_head") && c.int("d_head", 1, LIMITS.headDim) !== headDim) {
      throw c.error(`has window_size (v2) but d_head = ${c.json.d_head} differs from n_embd / n_head = ${headDim} (v2 has no d_head)`);
    }
    const size = c.int("window_size", 0, LIMITS.positions);
    window = Array.from({ length: layers }, (_, i) => (i % 2 === 1 ? size : null));
  } else {
    headDim = c.int("d_head", 1, LIMITS.headDim);
    window = new Array(layers).fill(null);
  }
  const tied = v2 ? c.bool("tie_word_embeddings", true) : !(stored?.has("lm_head.weight") ?? true);
  const a: DecoderArchitecture = {
    name: v2 ? "gpt3dev-v2" : "gpt3dev-v1",
    vocabSize: c.int("vocab_size", 1, LIMITS.vocab, 50257),
    hiddenSize,
    layers,
    heads,
    kvHeads: heads,
    headDim,
    intermediateSize: 4 * hiddenSize, // both versions build GPT3DevMLP(4 * n_embd), whatever n_inner says
    maxPositions: c.int("n_positions", 1, LIMITS.positions, 1024),
    positions: { kind: "learned" },
    norm: { kind: "layernorm", eps: c.positive("layer_norm_epsilon", 1e-5, 1) },
    normPlacement: c.bool("use_pre_layernorm", true) ? "pre" : "post",
    mlp: "gelu_erf", // nn.GELU(), whatever activation_function says
    bias: { qkv: true, attnOut: true, mlp: true },
    qkNorm: false,
    window,
    tiedEmbeddings: tied,
    attentionScale: 1 / Math.sqrt(headDim),
    bosTokenId: c.tokenIds("bos_token_id")[0] ?? null,
    eosTokenIds: c.tokenIds("eos_token_id"),
  };
  checkArchitecture(a, CONFIG_FILE);
  return a;
}
