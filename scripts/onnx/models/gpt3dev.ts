/**
 * GPT3-dev (krll-corp/GPT3) as its checkpoints are saved: GPT-2 names with the `transformer.` prefix, nn.Linear
 * weights [out, in]; v1 configs carry `d_head` (attention width n_head · d_head may differ from n_embd) and an
 * own lm_head, v2 configs carry `window_size` / `stride` and tie the head.
 */
import type { StoredDtype, StoredTensor } from "../../checkpoints/stored-tensor.ts";
import { TensorMaker } from "../tensor-maker.ts";

export interface Gpt3devSpec {
  version: 1 | 2;
  layers: number;
  width: number;
  heads: number;
  /** v1 only. */
  dHead?: number;
  /** v2 only: the band on odd layers. */
  windowSize?: number;
  positions: number;
  vocabSize: number;
  preLayerNorm: boolean;
  bosTokenId: number;
  eosTokenId: number;
  seed: string;
  dtype?: StoredDtype;
}

const LOGIT_STD = 2;

export function gpt3devTensors(s: Gpt3devSpec): StoredTensor[] {
  const E = s.width;
  const A = s.heads * (s.version === 1 ? s.dHead! : E / s.heads);
  const m = new TensorMaker(s.seed, s.dtype ?? "F32", "random");
  const norm = (name: string) => {
    m.normWeight(`${name}.weight`, E);
    m.bias(`${name}.bias`, E);
  };
  const linear = (name: string, outSize: number, inSize: number) => {
    m.random(`${name}.weight`, [outSize, inSize], 1 / Math.sqrt(inSize));
    m.bias(`${name}.bias`, outSize);
  };
  m.random("transformer.wte.weight", [s.vocabSize, E], LOGIT_STD / Math.sqrt(E));
  m.random("transformer.wpe.weight", [s.positions, E], LOGIT_STD / Math.sqrt(E));
  for (let i = 0; i < s.layers; i++) {
    const n = `transformer.h.${i}`;
    norm(`${n}.ln_1`);
    linear(`${n}.attn.c_attn`, 3 * A, E);
    linear(`${n}.attn.c_proj`, E, A);
    norm(`${n}.ln_2`);
    linear(`${n}.mlp.c_fc`, 4 * E, E);
    linear(`${n}.mlp.c_proj`, E, 4 * E);
  }
  norm("transformer.ln_f");
  if (s.version === 1) m.random("lm_head.weight", [s.vocabSize, E], LOGIT_STD / Math.sqrt(E));
  return m.tensors;
}

/** config.json as GPT3DevConfig.save_pretrained writes it (GPT2Config fields plus the version's own). */
export function gpt3devConfig(s: Gpt3devSpec): Record<string, unknown> {
  const own = s.version === 1 ? { d_head: s.dHead } : { window_size: s.windowSize, stride: 128 };
  return {
    architectures: ["GPT3DevLMHeadModel"],
    auto_map: {
      AutoConfig: "modeling_gpt3dev.GPT3DevConfig",
      AutoModelForCausalLM: "modeling_gpt3dev.GPT3DevLMHeadModel",
    },
    model_type: "gpt3dev",
    activation_function: "gelu_new", // GPT2Config's default, saved but unused: GPT3-dev's MLP is nn.GELU()
    n_layer: s.layers,
    n_head: s.heads,
    n_embd: s.width,
    n_inner: null,
    n_positions: s.positions,
    n_ctx: s.positions,
    vocab_size: s.vocabSize,
    layer_norm_epsilon: 1e-5,
    use_pre_layernorm: s.preLayerNorm,
    ...own,
    bos_token_id: s.bosTokenId,
    eos_token_id: s.eosTokenId,
    tie_word_embeddings: true,
    torch_dtype: "float32",
  };
}
