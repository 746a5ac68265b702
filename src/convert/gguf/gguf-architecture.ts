/**
 * GGUF metadata → DecoderArchitecture for the architectures we build (gpt2, llama — which Mistral files say too —,
 * qwen2, qwen3), reading the `{arch}.*` keys and defaults exactly as llama.cpp's llama_model::load_hparams does.
 * Anything llama.cpp would run differently from what the graph writer builds (per-layer head counts, experts,
 * YaRN, partial rotary on llama) is refused by name rather than run wrong.
 */
import { ConvertError } from "../convert-error.ts";
import type { DecoderArchitecture, RopeScaling } from "../decoder-architecture.ts";
import type { GgufMetadata } from "./gguf-metadata.ts";
import { ggufEndOfGenerationIds } from "./gguf-special-tokens.ts";
import { fitLlama3RopeScaling } from "./llama3-rope-factors.ts";

export const GGUF_ARCHITECTURES = ["gpt2", "llama", "qwen2", "qwen3"] as const;
export type GgufArchitectureName = (typeof GGUF_ARCHITECTURES)[number];

/** What the tensors say that the metadata does not. */
export interface GgufTensorFacts {
  /** Rows of token_embd (its ne1). */
  vocabSize: number;
  tied: boolean;
  bias: DecoderArchitecture["bias"];
  /** `rope_freqs.weight` (Llama 3.x rope scaling stored as per-frequency factors), when present. */
  ropeFactors: Float32Array | null;
}

export function ggufArchitectureName(meta: GgufMetadata): GgufArchitectureName {
  const arch = meta.string("general.architecture");
  if (arch === undefined) throw new ConvertError("checkpoint_invalid", `${meta.file}: metadata general.architecture is missing`, meta.file);
  if (!(GGUF_ARCHITECTURES as readonly string[]).includes(arch)) {
    throw new ConvertError("unsupported_architecture", `${meta.file}: architecture ${arch} is not supported (supported: ${GGUF_ARCHITECTURES.join(", ")})`, meta.file);
  }
  return arch as GgufArchitectureName;
}

export function ggufArchitecture(meta: GgufMetadata, facts: GgufTensorFacts): DecoderArchitecture {
  const arch = ggufArchitectureName(meta);
  const file = meta.file;
  const key = (k: string) => `${arch}.${k}`;
  const unsupported = (problem: string) => new ConvertError("unsupported_config", `${file}: ${problem}`, file);
  const invalid = (problem: string) => new ConvertError("checkpoint_invalid", `${file}: ${problem}`, file);

  const layers = meta.requireCount(key("block_count"));
  if (layers < 1 || layers > 512) throw invalid(`${key("block_count")} is ${layers}`);
  const hiddenSize = meta.requireCount(key("embedding_length"));
  const uniform = (k: string, fallback?: number[]): number => {
    const values = meta.perLayer(key(k), layers) ?? fallback;
    if (!values) throw invalid(`metadata ${key(k)} is missing`);
    const first = values[0]!;
    if (values.some((v) => v !== first)) throw unsupported(`${key(k)} differs between layers (${values.join(", ")}), which is not supported`);
    if (!Number.isInteger(first) || first < 0) throw invalid(`${key(k)} is ${first}`);
    return first;
  };
  const heads = uniform("attention.head_count");
  const kvHeads = uniform("attention.head_count_kv", new Array<number>(layers).fill(heads));
  const intermediateSize = uniform("feed_forward_length", arch === "gpt2" ? new Array<number>(layers).fill(4 * hiddenSize) : undefined);
  if (heads < 1 || hiddenSize < 1 || intermediateSize < 1) throw invalid(`hidden size ${hiddenSize}, ${heads} heads, feed-forward ${intermediateSize}`);
  if (kvHeads < 1 || heads % kvHeads !== 0) throw invalid(`${heads} attention heads cannot share ${kvHeads} key/value heads`);

  if ((meta.count(key("expert_count")) ?? 0) > 0) throw unsupported(`${key("expert_count")} is ${meta.count(key("expert_count"))}: mixture-of-experts models are not supported`);

  const headDim = meta.count(key("attention.key_length")) ?? hiddenSize / heads;
  const valueDim = meta.count(key("attention.value_length")) ?? hiddenSize / heads;
  if (!Number.isInteger(headDim) || headDim < 1) throw invalid(`hidden size ${hiddenSize} is not a whole number of ${heads} heads`);
  if (valueDim !== headDim) throw unsupported(`key length ${headDim} and value length ${valueDim} differ, which is not supported`);

  const maxPositions = meta.requireCount(key("context_length"));

  let positions: DecoderArchitecture["positions"];
  let norm: DecoderArchitecture["norm"];
  if (arch === "gpt2") {
    positions = { kind: "learned" };
    norm = { kind: "layernorm", eps: meta.requireNumber(key("attention.layer_norm_epsilon")) };
  } else {
    const theta = meta.number(key("rope.freq_base")) ?? 10000;
    const rotaryDim = meta.count(key("rope.dimension_count")) ?? headDim;
    if (rotaryDim > headDim || rotaryDim % 2 !== 0 || rotaryDim === 0) throw invalid(`${key("rope.dimension_count")} is ${rotaryDim} for heads of ${headDim}`);
    // llama.cpp refuses this for llama too: its q/k rows are permuted over whole heads.
    if (arch === "llama" && rotaryDim !== headDim) throw invalid(`${key("rope.dimension_count")} ${rotaryDim} must equal the head size ${headDim} for llama`);
    positions = { kind: "rope", theta, rotaryDim, interleaved: false, scaling: ropeScaling(meta, arch, { theta, rotaryDim, factors: facts.ropeFactors }) };
    norm = { kind: "rmsnorm", eps: meta.requireNumber(key("attention.layer_norm_rms_epsilon")) };
  }
  if (!(norm.eps > 0 && norm.eps < 1)) throw invalid(`norm epsilon ${norm.eps}`);

  const slidingWindow = meta.count(key("attention.sliding_window")) ?? 0;
  const window = new Array<number | null>(layers).fill(slidingWindow > 0 ? slidingWindow - 1 : null);

  const tokens = meta.stringArray("tokenizer.ggml.tokens");
  if (tokens && tokens.length > facts.vocabSize) {
    throw invalid(`the vocabulary has ${tokens.length} tokens but token_embd only ${facts.vocabSize} rows`);
  }
  const bos = meta.count("tokenizer.ggml.bos_token_id") ?? (meta.string("tokenizer.ggml.model") === "llama" ? 1 : null);

  return {
    name: arch,
    vocabSize: facts.vocabSize,
    hiddenSize,
    layers,
    heads,
    kvHeads,
    headDim,
    intermediateSize,
    maxPositions,
    positions,
    norm,
    normPlacement: "pre",
    mlp: arch === "gpt2" ? "gelu_tanh" : "swiglu",
    bias: facts.bias,
    qkNorm: arch === "qwen3",
    window,
    tiedEmbeddings: facts.tied,
    attentionScale: 1 / Math.sqrt(headDim),
    bosTokenId: bos !== null && bos < facts.vocabSize ? bos : null,
    eosTokenIds: ggufEndOfGenerationIds(meta).filter((id) => id < facts.vocabSize),
  };
}

function ropeScaling(meta: GgufMetadata, arch: string, rope: { theta: number; rotaryDim: number; factors: Float32Array | null }): RopeScaling | null {
  const file = meta.file;
  const type = meta.string(`${arch}.rope.scaling.type`) ?? (meta.has(`${arch}.rope.scale_linear`) ? "linear" : "none");
  const factor = meta.number(`${arch}.rope.scaling.factor`) ?? meta.number(`${arch}.rope.scale_linear`) ?? 0;
  if (rope.factors) {
    if (type !== "none" && !(type === "linear" && (factor === 0 || factor === 1))) {
      throw new ConvertError("unsupported_config", `${file}: rope_freqs together with rope scaling ${type} is not supported`, file);
    }
    return fitLlama3RopeScaling(rope.factors, rope.theta, rope.rotaryDim, file);
  }
  if (type === "none") return null;
  if (type === "linear") return factor === 0 || factor === 1 ? null : { type: "linear", factor };
  throw new ConvertError("unsupported_config", `${file}: rope scaling ${type} is not supported (supported: linear, and llama3 rope_freqs)`, file);
}
