/**
 * GPT-2 (Radford et al. 2019) as an Optimum-style decoder with KV cache: learned positions, pre-LayerNorm blocks,
 * fused QKV, GELU (tanh) MLP, LM head optionally tied to the token embedding. Weights are named as in the Hugging
 * Face checkpoint and stored [in, out] like its Conv1D layers.
 */
import { GraphBuilder, type ModelProto, type Value } from "../graph-builder.ts";
import { decoderInputs, decoderOutputs } from "../decoder-io.ts";
import { attention, causalPaddingMask, geluTanh, layerNorm, lmHead, mergeHeads, splitHeads } from "../layers.ts";
import { Params } from "../seeded-weights.ts";

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
}

const LAYER_NORM_EPS = 1e-5;
/** Std of the logits over the vocabulary: wide enough that greedy argmax is not decided by float noise. */
const LOGIT_STD = 2;

export function gpt2Graph(s: Gpt2Spec): ModelProto {
  const { width: E, heads: H, layers: L } = s;
  const D = E / H;
  const b = new GraphBuilder("gpt2");
  const p = new Params(b, s.seed);
  const io = decoderInputs(b, { layers: L, kvHeads: H, headDim: D });
  const norm = (name: string, x: Value) =>
    layerNorm(b, x, p.ones(`${name}.weight`, [E]), p.zeros(`${name}.bias`, [E]), LAYER_NORM_EPS);
  const conv1d = (name: string, x: Value, inSize: number, outSize: number) =>
    b.linear(x, p.random(`${name}.weight`, [inSize, outSize], 1 / Math.sqrt(inSize)), p.zeros(`${name}.bias`, [outSize]));

  // The final LayerNorm gives unit-variance features, so this std sets the LM head's logit spread.
  const wte = p.random("transformer.wte.weight", [s.vocabSize, E], LOGIT_STD / Math.sqrt(E));
  const wpe = p.random("transformer.wpe.weight", [s.positions, E], LOGIT_STD / Math.sqrt(E));
  let x = b.add(b.gather(wte, io.inputIds), b.gather(wpe, io.positionIds));
  const mask = causalPaddingMask(b, io.inputIds, io.attentionMask);

  const presents: { key: Value; value: Value }[] = [];
  for (let i = 0; i < L; i++) {
    const n = `transformer.h.${i}`;
    x = b.scope(`h.${i}`, () => {
      const qkv = conv1d(`${n}.attn.c_attn`, norm(`${n}.ln_1`, x), E, 3 * E);
      const [q, k, v] = b.split(qkv, 3, -1).map((t) => splitHeads(b, t, H, D)) as [Value, Value, Value];
      const key = b.concat([io.pastKeys[i]!, k], 2); // [batch, heads, past + seq, D]
      const value = b.concat([io.pastValues[i]!, v], 2);
      presents.push({ key, value });
      const a = mergeHeads(b, attention(b, q, key, value, mask, D), H, D);
      const x1 = b.add(x, conv1d(`${n}.attn.c_proj`, a, E, E));

      const up = geluTanh(b, conv1d(`${n}.mlp.c_fc`, norm(`${n}.ln_2`, x1), E, 4 * E));
      return b.add(x1, conv1d(`${n}.mlp.c_proj`, up, 4 * E, E));
    });
  }

  const hidden = norm("transformer.ln_f", x);
  const head = s.tieWordEmbeddings ? wte : p.random("lm_head.weight", [s.vocabSize, E], LOGIT_STD / Math.sqrt(E));
  const logits = lmHead(b, hidden, io.inputIds, head, E, s.vocabSize);
  decoderOutputs(b, logits, presents, { vocabSize: s.vocabSize, kvHeads: H, headDim: D });
  return b.toModel();
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
    torch_dtype: "float32",
  };
}
