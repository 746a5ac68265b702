/**
 * GPT-2 (Radford et al. 2019) as a Hugging Face checkpoint: config.json as transformers writes it for
 * GPT2LMHeadModel and the stored tensors (Conv1D weights [in, out], fused c_attn, optional `transformer.` prefix,
 * the `attn.bias` / `attn.masked_bias` mask buffers old files carry).
 */
import type { StoredDtype, StoredTensor } from "../../checkpoints/stored-tensor.ts";
import { byteToUnicode, gpt2Vocab } from "../gpt2-vocab.ts";
import { TensorMaker, type Affine } from "../tensor-maker.ts";

export interface Gpt2Spec {
  layers: number;
  width: number;
  heads: number;
  positions: number;
  vocabSize: number;
  bosTokenId: number;
  eosTokenId: number;
  /**
   * GPT-2 ties the LM head to the token embedding. Random tied weights strongly favour repeating recent tokens
   * (their own embeddings sit in the residual stream), so a test model that should emit varied text unties it.
   */
  tieWordEmbeddings: boolean;
  seed: string;
  /** Names carry GPT2LMHeadModel's `transformer.` prefix (default true). */
  prefix?: boolean;
  /** Store the causal-mask buffers `h.N.attn.bias` and `h.N.attn.masked_bias`, as openai-community/gpt2 does. */
  maskBuffers?: boolean;
  dtype?: StoredDtype;
  affine?: Affine;
  /**
   * "gpt2": GPT-2's own initialization (normal, std 0.02, wpe 0.01, residual projections 0.02/√(2·layers), norms 1,
   * biases 0) instead of the factory's spread-out uniform weights: a model whose logits respond to weight error the
   * way GPT-2 124M's do, for quantization quality checks.
   */
  init?: "gpt2";
  /**
   * Shrink the output rows (×0.1) of the GPT-2 tokens that are not whole UTF-8 characters on their own, so greedy
   * text is always valid UTF-8: llama-server fails a stream whose text ends mid-character (the benchmark's model).
   */
  wholeCharacterOutput?: boolean;
}

const LAYER_NORM_EPS = 1e-5;
/** Std of the logits over the vocabulary: wide enough that greedy argmax is not decided by float noise. */
const LOGIT_STD = 2;

export function gpt2Tensors(s: Gpt2Spec): StoredTensor[] {
  if (s.init === "gpt2") return gpt2InitTensors(s);
  const { width: E, layers: L, positions: P } = s;
  const m = new TensorMaker(s.seed, s.dtype ?? "F32", s.affine ?? "identity");
  const p = s.prefix === false ? "" : "transformer.";
  const norm = (name: string) => {
    m.normWeight(`${name}.weight`, E);
    m.bias(`${name}.bias`, E);
  };
  const conv1d = (name: string, inSize: number, outSize: number) => {
    m.random(`${name}.weight`, [inSize, outSize], 1 / Math.sqrt(inSize));
    m.bias(`${name}.bias`, outSize);
  };
  // The final LayerNorm gives unit-variance features, so this std sets the LM head's logit spread.
  m.random(`${p}wte.weight`, [s.vocabSize, E], LOGIT_STD / Math.sqrt(E));
  m.random(`${p}wpe.weight`, [P, E], LOGIT_STD / Math.sqrt(E));
  for (let i = 0; i < L; i++) {
    const n = `${p}h.${i}`;
    norm(`${n}.ln_1`);
    conv1d(`${n}.attn.c_attn`, E, 3 * E);
    conv1d(`${n}.attn.c_proj`, E, E);
    norm(`${n}.ln_2`);
    conv1d(`${n}.mlp.c_fc`, E, 4 * E);
    conv1d(`${n}.mlp.c_proj`, 4 * E, E);
    if (s.maskBuffers) {
      const causal = new Float32Array(P * P);
      for (let r = 0; r < P; r++) causal.fill(1, r * P, r * P + r + 1);
      m.fixed(`${n}.attn.bias`, [1, 1, P, P], causal);
      m.fixed(`${n}.attn.masked_bias`, [], Float32Array.of(-1e4));
    }
  }
  norm(`${p}ln_f`);
  if (!s.tieWordEmbeddings) m.random("lm_head.weight", [s.vocabSize, E], LOGIT_STD / Math.sqrt(E));
  if (s.wholeCharacterOutput) shrinkPartialCharacters(m.tensors.find((t) => t.name === (s.tieWordEmbeddings ? `${p}wte.weight` : "lm_head.weight"))!, E);
  return m.tensors;
}

/** Rows of tokens whose bytes are not valid UTF-8 on their own, ×0.1. */
function shrinkPartialCharacters(head: StoredTensor, width: number): void {
  const unicodeToByte = new Map(byteToUnicode().map((c, byte) => [c, byte]));
  const decoder = new TextDecoder("utf-8", { fatal: true });
  gpt2Vocab().tokens.forEach((token, id) => {
    const bytes = Uint8Array.from([...token].map((c) => unicodeToByte.get(c)!));
    try {
      decoder.decode(bytes);
    } catch {
      const row = head.values.subarray(id * width, (id + 1) * width);
      for (let j = 0; j < width; j++) row[j] = row[j]! * 0.1;
    }
  });
}

/** GPT2LMHeadModel's tensors as `_init_weights` leaves them (tied head). */
function gpt2InitTensors(s: Gpt2Spec): StoredTensor[] {
  const { width: E, layers: L, positions: P } = s;
  const m = new TensorMaker(s.seed, s.dtype ?? "F32", "identity");
  const projection = 0.02 / Math.sqrt(2 * L);
  m.normal("transformer.wte.weight", [s.vocabSize, E], 0.02);
  m.normal("transformer.wpe.weight", [P, E], 0.01);
  const norm = (name: string) => {
    m.normWeight(`${name}.weight`, E);
    m.bias(`${name}.bias`, E);
  };
  const conv1d = (name: string, inSize: number, outSize: number, std: number) => {
    m.normal(`${name}.weight`, [inSize, outSize], std);
    m.bias(`${name}.bias`, outSize);
  };
  for (let i = 0; i < L; i++) {
    const n = `transformer.h.${i}`;
    norm(`${n}.ln_1`);
    conv1d(`${n}.attn.c_attn`, E, 3 * E, 0.02);
    conv1d(`${n}.attn.c_proj`, E, E, projection);
    norm(`${n}.ln_2`);
    conv1d(`${n}.mlp.c_fc`, E, 4 * E, 0.02);
    conv1d(`${n}.mlp.c_proj`, 4 * E, E, projection);
  }
  norm("transformer.ln_f");
  if (!s.tieWordEmbeddings) m.normal("lm_head.weight", [s.vocabSize, E], 0.02);
  return m.tensors;
}

/** config.json as Hugging Face writes it for GPT2LMHeadModel. */
export function gpt2Config(s: Gpt2Spec): Record<string, unknown> {
  return {
    architectures: ["GPT2LMHeadModel"],
    model_type: "gpt2",
    activation_function: "gelu_new",
    n_layer: s.layers,
    n_head: s.heads,
    n_embd: s.width,
    n_inner: null,
    n_positions: s.positions,
    n_ctx: s.positions,
    vocab_size: s.vocabSize,
    layer_norm_epsilon: LAYER_NORM_EPS,
    bos_token_id: s.bosTokenId,
    eos_token_id: s.eosTokenId,
    tie_word_embeddings: s.tieWordEmbeddings,
    use_cache: true,
    torch_dtype: s.dtype === "F16" ? "float16" : s.dtype === "BF16" ? "bfloat16" : "float32",
  };
}
