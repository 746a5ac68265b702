/**
 * The llama family as Hugging Face checkpoints: config.json as transformers writes it for LlamaForCausalLM,
 * MistralForCausalLM, Qwen2ForCausalLM and Qwen3ForCausalLM, and the stored tensors (Linear weights [out, in],
 * q/k/v biases for qwen2, q/k norms for qwen3, lm_head unless tied).
 */
import type { StoredDtype, StoredTensor } from "../../checkpoints/stored-tensor.ts";
import { TensorMaker, type Affine } from "../tensor-maker.ts";

export type LlamaMember = "llama" | "mistral" | "qwen2" | "qwen3";

export interface LlamaSpec {
  member?: LlamaMember;
  layers: number;
  hiddenSize: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediateSize: number;
  maxPositions: number;
  vocabSize: number;
  ropeTheta: number;
  ropeScaling?: Record<string, unknown>;
  /** mistral: every layer; qwen2/qwen3: with use_sliding_window. */
  slidingWindow?: number;
  tieWordEmbeddings?: boolean;
  bosTokenId: number;
  eosTokenId: number | readonly number[];
  seed: string;
  dtype?: StoredDtype;
  affine?: Affine;
}

const RMS_NORM_EPS = 1e-5;
/** Std of the logits over the vocabulary: wide enough that greedy argmax is not decided by float noise. */
const LOGIT_STD = 2;

const CLASS: Record<LlamaMember, string> = {
  llama: "LlamaForCausalLM",
  mistral: "MistralForCausalLM",
  qwen2: "Qwen2ForCausalLM",
  qwen3: "Qwen3ForCausalLM",
};

export function llamaTensors(s: LlamaSpec): StoredTensor[] {
  const member = s.member ?? "llama";
  const { hiddenSize: E, heads: H, kvHeads: KV, headDim: D, intermediateSize: I } = s;
  const m = new TensorMaker(s.seed, s.dtype ?? "F32", s.affine ?? "identity");
  const proj = (name: string, inSize: number, outSize: number, bias = false) => {
    m.randomLinear(`${name}.weight`, outSize, inSize, 1 / Math.sqrt(inSize));
    if (bias) m.bias(`${name}.bias`, outSize);
  };
  // Tied, the embedding is also the head, so it gets the head's spread (final RMSNorm → unit features).
  m.random("model.embed_tokens.weight", [s.vocabSize, E], s.tieWordEmbeddings ? LOGIT_STD / Math.sqrt(E) : 1);
  for (let i = 0; i < s.layers; i++) {
    const n = `model.layers.${i}`;
    m.normWeight(`${n}.input_layernorm.weight`, E);
    proj(`${n}.self_attn.q_proj`, E, H * D, member === "qwen2");
    proj(`${n}.self_attn.k_proj`, E, KV * D, member === "qwen2");
    proj(`${n}.self_attn.v_proj`, E, KV * D, member === "qwen2");
    proj(`${n}.self_attn.o_proj`, H * D, E);
    if (member === "qwen3") {
      m.normWeight(`${n}.self_attn.q_norm.weight`, D);
      m.normWeight(`${n}.self_attn.k_norm.weight`, D);
    }
    m.normWeight(`${n}.post_attention_layernorm.weight`, E);
    proj(`${n}.mlp.gate_proj`, E, I);
    proj(`${n}.mlp.up_proj`, E, I);
    proj(`${n}.mlp.down_proj`, I, E);
  }
  m.normWeight("model.norm.weight", E);
  if (!s.tieWordEmbeddings) m.random("lm_head.weight", [s.vocabSize, E], LOGIT_STD / Math.sqrt(E));
  return m.tensors;
}

/** config.json as Hugging Face writes it for the member's *ForCausalLM class. */
export function llamaConfig(s: LlamaSpec): Record<string, unknown> {
  const member = s.member ?? "llama";
  const own: Record<string, unknown> =
    member === "mistral"
      ? { sliding_window: s.slidingWindow ?? null }
      : member === "qwen2" || member === "qwen3"
        ? { use_sliding_window: s.slidingWindow !== undefined, sliding_window: s.slidingWindow ?? 4096, max_window_layers: s.slidingWindow !== undefined ? 1 : s.layers }
        : { attention_bias: false, mlp_bias: false };
  if (member === "qwen3") own.attention_bias = false;
  return {
    architectures: [CLASS[member]],
    model_type: member,
    hidden_act: "silu",
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads,
    hidden_size: s.hiddenSize,
    head_dim: s.headDim,
    intermediate_size: s.intermediateSize,
    max_position_embeddings: s.maxPositions,
    rope_theta: s.ropeTheta,
    rope_scaling: s.ropeScaling ?? null,
    rms_norm_eps: RMS_NORM_EPS,
    ...own,
    vocab_size: s.vocabSize,
    bos_token_id: s.bosTokenId,
    eos_token_id: s.eosTokenId,
    tie_word_embeddings: s.tieWordEmbeddings ?? false,
    use_cache: true,
    torch_dtype: s.dtype === "BF16" ? "bfloat16" : s.dtype === "F16" ? "float16" : "float32",
  };
}
