/**
 * The one description of a decoder-only transformer that every graph the converter builds starts from. Each
 * format (config.json + safetensors / pytorch_model.bin, GGUF metadata + tensors) is read into this and a map of
 * logical weights; the graph writer knows nothing of where they came from.
 */

/** How rotary frequencies are rescaled (transformers `rope_scaling`); other types are refused by name. */
export type RopeScaling =
  | { type: "linear"; factor: number }
  | { type: "llama3"; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number };

export interface DecoderArchitecture {
  /** What the checkpoint calls itself, for messages and /v1/models: gpt2, gpt3dev-v1, gpt3dev-v2, llama, mistral, qwen2, qwen3. */
  name: string;
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediateSize: number;
  /** Context the model was trained for (n_positions / max_position_embeddings / {arch}.context_length). */
  maxPositions: number;
  positions:
    | { kind: "learned" }
    /** Rotary on the first `rotaryDim` dims of each head; `interleaved` = pairs (2i, 2i+1) rather than HF's rotate-half. */
    | { kind: "rope"; theta: number; rotaryDim: number; interleaved: boolean; scaling: RopeScaling | null };
  norm: { kind: "layernorm" | "rmsnorm"; eps: number };
  /** pre: x + f(norm(x)) (GPT-2, llama); post: norm(x + f(x)) (GPT3-dev v1 with use_pre_layernorm false). */
  normPlacement: "pre" | "post";
  /** gelu_tanh ("gelu_new", GPT-2), gelu_erf (nn.GELU, GPT3-dev), relu; swiglu = down(silu(gate(x)) · up(x)). */
  mlp: "gelu_tanh" | "gelu_erf" | "relu" | "swiglu";
  bias: { qkv: boolean; attnOut: boolean; mlp: boolean };
  /** Qwen3: RMSNorm over each head of q and k before rotary. */
  qkNorm: boolean;
  /**
   * Per layer, the farthest back a query may look: key j is visible to query i when 0 ≤ i − j ≤ window; null =
   * the whole causal past. GPT3-dev v2 odd layers: window_size; Mistral sliding_window w: w − 1.
   */
  window: readonly (number | null)[];
  /** The LM head is the token embedding (no `lm_head.weight` in the weights). */
  tiedEmbeddings: boolean;
  /** Attention score scale, normally 1/√headDim. */
  attentionScale: number;
  bosTokenId: number | null;
  eosTokenIds: readonly number[];
}

/**
 * Logical weight names. Linear weights are always [out, in] (nn.Linear's layout; readers transpose GPT-2's
 * Conv1D [in, out]); q and k rows are in Hugging Face's rotate-half order (GGUF llama permutation undone).
 *
 *   token_embedding [vocab, hidden]                position_embedding [maxPositions, hidden] (learned positions)
 *   layers.{i}.attn_norm.weight / .bias [hidden]   (bias only for layernorm)
 *   layers.{i}.attn.q.weight [heads·headDim, hidden]       .bias [heads·headDim]
 *   layers.{i}.attn.k.weight [kvHeads·headDim, hidden]     .bias
 *   layers.{i}.attn.v.weight [kvHeads·headDim, hidden]     .bias
 *   layers.{i}.attn.o.weight [hidden, heads·headDim]       .bias [hidden]
 *   layers.{i}.attn.q_norm.weight / k_norm.weight [headDim] (qkNorm)
 *   layers.{i}.mlp_norm.weight / .bias [hidden]
 *   layers.{i}.mlp.gate.weight [intermediate, hidden] (swiglu)
 *   layers.{i}.mlp.up.weight [intermediate, hidden]        .bias [intermediate]
 *   layers.{i}.mlp.down.weight [hidden, intermediate]      .bias [hidden]
 *   final_norm.weight / .bias [hidden]
 *   lm_head.weight [vocab, hidden]                 (absent when tiedEmbeddings)
 */
export const W = {
  tokenEmbedding: "token_embedding",
  positionEmbedding: "position_embedding",
  attnNorm: (i: number, p: "weight" | "bias") => `layers.${i}.attn_norm.${p}`,
  q: (i: number, p: "weight" | "bias") => `layers.${i}.attn.q.${p}`,
  k: (i: number, p: "weight" | "bias") => `layers.${i}.attn.k.${p}`,
  v: (i: number, p: "weight" | "bias") => `layers.${i}.attn.v.${p}`,
  o: (i: number, p: "weight" | "bias") => `layers.${i}.attn.o.${p}`,
  qNorm: (i: number) => `layers.${i}.attn.q_norm.weight`,
  kNorm: (i: number) => `layers.${i}.attn.k_norm.weight`,
  mlpNorm: (i: number, p: "weight" | "bias") => `layers.${i}.mlp_norm.${p}`,
  gate: (i: number) => `layers.${i}.mlp.gate.weight`,
  up: (i: number, p: "weight" | "bias") => `layers.${i}.mlp.up.${p}`,
  down: (i: number, p: "weight" | "bias") => `layers.${i}.mlp.down.${p}`,
  finalNorm: (p: "weight" | "bias") => `final_norm.${p}`,
  lmHead: "lm_head.weight",
} as const;

/** One logical weight, loaded when the graph writer reaches it. */
export interface WeightTensor {
  shape: readonly number[];
  /** Where it came from, for messages: `model-00002-of-00003.safetensors: model.layers.7.self_attn.q_proj.weight`. */
  origin: string;
  load(): Promise<Float32Array>;
  /** GGUF only: the stored ggml blocks and their type, so Q8_0 / Q4_0 map onto MatMulNBits without requantizing. */
  quantized?: { type: string; load(): Promise<Uint8Array> };
}

/** A checkpoint read into the converter's terms. */
export interface DecoderCheckpoint {
  architecture: DecoderArchitecture;
  weights: ReadonlyMap<string, WeightTensor>;
  /** safetensors, pytorch, gguf. */
  format: string;
  close(): Promise<void>;
}
