/**
 * The llama family (transformers `LlamaForCausalLM`, `MistralForCausalLM`, `Qwen2ForCausalLM`,
 * `Qwen3ForCausalLM`): RMSNorm, rotate-half rotary, grouped-query attention, SwiGLU. The members differ in
 *
 * - llama: `attention_bias` on q, k, v and o; `mlp_bias` (refused: our SwiGLU has no gate bias);
 * - mistral: no biases; `sliding_window` w on every layer (key j visible to query i when i − j < w);
 * - qwen2: biases on q, k, v (never o); sliding windows only with `use_sliding_window`, from `max_window_layers` on;
 * - qwen3: RMSNorm over each head of q and k (`q_norm`, `k_norm`) before rotary; `attention_bias` like llama.
 */
import type { DecoderArchitecture, WeightTensor } from "../decoder-architecture.ts";
import { W } from "../decoder-architecture.ts";
import { checkArchitecture } from "../decoder-weight-shapes.ts";
import type { ArchitectureRecipe } from "./architecture-recipe.ts";
import { CONFIG_FILE, ConfigFields, exactDivision, LIMITS } from "./config-fields.ts";
import { ropeConfig } from "./rope-config.ts";
import type { StoredWeights } from "./stored-weights.ts";

type Member = "llama" | "mistral" | "qwen2" | "qwen3";

export const llamaFamilyRecipe: ArchitectureRecipe = {
  modelTypes: ["llama", "mistral", "qwen2", "qwen3"],
  classNames: ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM"],
  label: "llama, mistral, qwen2, qwen3",
  read(json, stored) {
    const member = memberOf(json);
    const architecture = llamaFamilyArchitecture(new ConfigFields(json, member), member);
    return { architecture, weights: llamaFamilyWeights(architecture, stored) };
  },
};

function memberOf(json: Readonly<Record<string, unknown>>): Member {
  const type = json.model_type;
  if (type === "llama" || type === "mistral" || type === "qwen2" || type === "qwen3") return type;
  const cls = Array.isArray(json.architectures) ? json.architectures[0] : undefined;
  const byClass: Record<string, Member> = { LlamaForCausalLM: "llama", MistralForCausalLM: "mistral", Qwen2ForCausalLM: "qwen2", Qwen3ForCausalLM: "qwen3" };
  return byClass[String(cls)] ?? "llama";
}

export function llamaFamilyArchitecture(c: ConfigFields, member: Member): DecoderArchitecture {
  const hiddenSize = c.int("hidden_size", 1, LIMITS.hidden);
  const layers = c.int("num_hidden_layers", 1, LIMITS.layers);
  const heads = c.int("num_attention_heads", 1, LIMITS.heads);
  const kvHeads = c.int("num_key_value_heads", 1, LIMITS.heads, heads);
  if (heads % kvHeads !== 0) throw c.error(`num_attention_heads = ${heads} is not a multiple of num_key_value_heads = ${kvHeads}`);
  const headDim = c.has("head_dim")
    ? c.int("head_dim", 2, LIMITS.headDim)
    : exactDivision(c, { name: "hidden_size", value: hiddenSize }, { name: "num_attention_heads", value: heads });
  const act = c.string("hidden_act", "silu");
  if (act !== "silu") throw c.error(`hidden_act ${JSON.stringify(act)} is not supported (the llama family builds silu)`);
  if (c.bool("mlp_bias", false)) throw c.error("mlp_bias is not supported");
  const attentionBias = member === "qwen2" || member === "mistral" ? false : c.bool("attention_bias", false);
  const rotaryDim = 2 * Math.floor((headDim * c.positive("partial_rotary_factor", 1, 1)) / 2);
  const rope = ropeConfig(c, 10000);
  const a: DecoderArchitecture = {
    name: member,
    vocabSize: c.int("vocab_size", 1, LIMITS.vocab),
    hiddenSize,
    layers,
    heads,
    kvHeads,
    headDim,
    intermediateSize: c.int("intermediate_size", 1, LIMITS.intermediate),
    maxPositions: c.int("max_position_embeddings", 1, LIMITS.positions, 2048),
    positions: { kind: "rope", theta: rope.theta, rotaryDim, interleaved: false, scaling: rope.scaling },
    norm: { kind: "rmsnorm", eps: c.positive("rms_norm_eps", 1e-6, 1) },
    normPlacement: "pre",
    mlp: "swiglu",
    bias: { qkv: member === "qwen2" || attentionBias, attnOut: attentionBias, mlp: false },
    qkNorm: member === "qwen3",
    window: windows(c, member, layers),
    tiedEmbeddings: c.bool("tie_word_embeddings", false),
    attentionScale: 1 / Math.sqrt(headDim),
    bosTokenId: c.tokenIds("bos_token_id")[0] ?? null,
    eosTokenIds: c.tokenIds("eos_token_id"),
  };
  checkArchitecture(a, CONFIG_FILE);
  return a;
}

/** Per layer, i − j ≤ window (a sliding window of w keeps the w most recent keys: window w − 1). */
function windows(c: ConfigFields, member: Member, layers: number): (number | null)[] {
  const all = (w: number | null) => new Array<number | null>(layers).fill(w);
  if (member === "llama") return all(null);
  const sliding = () => c.int("sliding_window", 1, LIMITS.positions) - 1;
  if (member === "mistral") return c.has("sliding_window") ? all(sliding()) : all(null);
  // qwen2 / qwen3: `layer_types` when the config lists them, else use_sliding_window from max_window_layers on.
  const types = c.json.layer_types;
  if (Array.isArray(types)) {
    if (types.length !== layers) throw c.error(`layer_types lists ${types.length} layers, num_hidden_layers is ${layers}`);
    return types.map((t, i) => {
      if (t === "full_attention") return null;
      if (t === "sliding_attention") return sliding();
      throw c.error(`layer_types[${i}] = ${JSON.stringify(t)} is not full_attention or sliding_attention`);
    });
  }
  if (!c.bool("use_sliding_window", false) || !c.has("sliding_window")) return all(null);
  const from = c.int("max_window_layers", 0, LIMITS.layers, layers);
  return Array.from({ length: layers }, (_, i) => (i >= from ? sliding() : null));
}

export function llamaFamilyWeights(a: DecoderArchitecture, stored: StoredWeights): Map<string, WeightTensor> {
  const E = a.hiddenSize;
  const q = a.heads * a.headDim;
  const kv = a.kvHeads * a.headDim;
  const I = a.intermediateSize;
  const out = new Map<string, WeightTensor>();
  out.set(W.tokenEmbedding, stored.direct("model.embed_tokens.weight", [a.vocabSize, E]));
  for (let i = 0; i < a.layers; i++) {
    const l = `model.layers.${i}`;
    out.set(W.attnNorm(i, "weight"), stored.direct(`${l}.input_layernorm.weight`, [E]));
    const proj = [
      [W.q, "q_proj", q],
      [W.k, "k_proj", kv],
      [W.v, "v_proj", kv],
    ] as const;
    for (const [logical, name, rows] of proj) {
      out.set(logical(i, "weight"), stored.direct(`${l}.self_attn.${name}.weight`, [rows, E]));
      if (a.bias.qkv) out.set(logical(i, "bias"), stored.direct(`${l}.self_attn.${name}.bias`, [rows]));
    }
    out.set(W.o(i, "weight"), stored.direct(`${l}.self_attn.o_proj.weight`, [E, q]));
    if (a.bias.attnOut) out.set(W.o(i, "bias"), stored.direct(`${l}.self_attn.o_proj.bias`, [E]));
    if (a.qkNorm) {
      out.set(W.qNorm(i), stored.direct(`${l}.self_attn.q_norm.weight`, [a.headDim]));
      out.set(W.kNorm(i), stored.direct(`${l}.self_attn.k_norm.weight`, [a.headDim]));
    }
    out.set(W.mlpNorm(i, "weight"), stored.direct(`${l}.post_attention_layernorm.weight`, [E]));
    out.set(W.gate(i), stored.direct(`${l}.mlp.gate_proj.weight`, [I, E]));
    out.set(W.up(i, "weight"), stored.direct(`${l}.mlp.up_proj.weight`, [I, E]));
    out.set(W.down(i, "weight"), stored.direct(`${l}.mlp.down_proj.weight`, [E, I]));
  }
  out.set(W.finalNorm("weight"), stored.direct("model.norm.weight", [E]));
  if (!a.tiedEmbeddings) out.set(W.lmHead, stored.direct("lm_head.weight", [a.vocabSize, E]));
  return out;
}
