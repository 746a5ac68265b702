/**
 * Llama as an Optimum-style decoder with KV cache: RMSNorm, rotary position embeddings (half-rotation layout,
 * driven by position_ids), grouped-query attention, SwiGLU MLP, untied LM head. The cache holds keys after
 * rotation, as Hugging Face does. Projection weights are stored [in, out] (a torch Linear's weight transposed).
 */
import { GraphBuilder, type ModelProto, type Value } from "../graph-builder.ts";
import { decoderInputs, decoderOutputs } from "../decoder-io.ts";
import { attention, causalPaddingMask, lmHead, mergeHeads, repeatKv, rmsNorm, silu, splitHeads } from "../layers.ts";
import { Params } from "../seeded-weights.ts";

export interface LlamaSpec {
  layers: number;
  hiddenSize: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediateSize: number;
  maxPositions: number;
  vocabSize: number;
  ropeTheta: number;
  bosTokenId: number;
  eosTokenId: number | readonly number[];
  seed: string;
}

const RMS_NORM_EPS = 1e-5;
/** Std of the logits over the vocabulary: wide enough that greedy argmax is not decided by float noise. */
const LOGIT_STD = 2;

export function llamaGraph(s: LlamaSpec): ModelProto {
  const { hiddenSize: E, heads: H, kvHeads: KV, headDim: D, intermediateSize: I } = s;
  const b = new GraphBuilder("llama");
  const p = new Params(b, s.seed);
  const io = decoderInputs(b, { layers: s.layers, kvHeads: KV, headDim: D });
  const norm = (name: string, x: Value) => rmsNorm(b, x, p.ones(`${name}.weight`, [E]), RMS_NORM_EPS);
  const proj = (name: string, x: Value, inSize: number, outSize: number) =>
    b.linear(x, p.random(`${name}.weight`, [inSize, outSize], 1 / Math.sqrt(inSize)));

  let x = b.gather(p.random("model.embed_tokens.weight", [s.vocabSize, E], 1), io.inputIds);
  const mask = causalPaddingMask(b, io.inputIds, io.attentionMask);
  const rope = rotaryTables(b, io.positionIds, D, s.ropeTheta);

  const presents: { key: Value; value: Value }[] = [];
  for (let i = 0; i < s.layers; i++) {
    const n = `model.layers.${i}`;
    x = b.scope(`layers.${i}`, () => {
      const h = norm(`${n}.input_layernorm`, x);
      const q = applyRotary(b, splitHeads(b, proj(`${n}.self_attn.q_proj`, h, E, H * D), H, D), rope);
      const k = applyRotary(b, splitHeads(b, proj(`${n}.self_attn.k_proj`, h, E, KV * D), KV, D), rope);
      const v = splitHeads(b, proj(`${n}.self_attn.v_proj`, h, E, KV * D), KV, D);
      const key = b.concat([io.pastKeys[i]!, k], 2); // [batch, kvHeads, past + seq, D]
      const value = b.concat([io.pastValues[i]!, v], 2);
      presents.push({ key, value });
      const a = attention(b, q, repeatKv(b, key, KV, H / KV, D), repeatKv(b, value, KV, H / KV, D), mask, D);
      const x1 = b.add(x, proj(`${n}.self_attn.o_proj`, mergeHeads(b, a, H, D), H * D, E));

      const h2 = norm(`${n}.post_attention_layernorm`, x1);
      const gated = b.mul(silu(b, proj(`${n}.mlp.gate_proj`, h2, E, I)), proj(`${n}.mlp.up_proj`, h2, E, I));
      return b.add(x1, proj(`${n}.mlp.down_proj`, gated, I, E));
    });
  }

  const hidden = norm("model.norm", x);
  const head = p.random("lm_head.weight", [s.vocabSize, E], LOGIT_STD / Math.sqrt(E)); // final RMSNorm → unit features
  const logits = lmHead(b, hidden, io.inputIds, head, E, s.vocabSize);
  decoderOutputs(b, logits, presents, { vocabSize: s.vocabSize, kvHeads: KV, headDim: D });
  return b.toModel();
}

interface Rotary {
  cos: Value;
  sin: Value;
}

/** cos/sin of position · θ^(-2j/d), [batch, 1, seq, headDim], computed once and shared by every layer. */
function rotaryTables(b: GraphBuilder, positionIds: Value, headDim: number, theta: number): Rotary {
  const invFreq = Float32Array.from({ length: headDim / 2 }, (_, j) => theta ** ((-2 * j) / headDim));
  const positions = b.unsqueeze(b.cast(positionIds, "float32"), [2]); // [batch, seq, 1]
  const freqs = b.mul(positions, b.initializer("rotary.inv_freq", [headDim / 2], invFreq)); // [batch, seq, d/2]
  const angles = b.unsqueeze(b.concat([freqs, freqs], -1), [1]); // [batch, 1, seq, d]
  return { cos: b.cos(angles), sin: b.sin(angles) };
}

/** x·cos + rotate_half(x)·sin, where rotate_half([x1, x2]) = [-x2, x1] over the two halves of head_dim. */
function applyRotary(b: GraphBuilder, x: Value, { cos, sin }: Rotary): Value {
  const [x1, x2] = b.split(x, 2, -1) as [Value, Value];
  const rotated = b.concat([b.neg(x2), x1], -1);
  return b.add(b.mul(x, cos), b.mul(rotated, sin));
}

/** config.json as Hugging Face writes it for LlamaForCausalLM. */
export function llamaConfig(s: LlamaSpec): Record<string, unknown> {
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_act: "silu",
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads,
    hidden_size: s.hiddenSize,
    head_dim: s.headDim,
    intermediate_size: s.intermediateSize,
    max_position_embeddings: s.maxPositions,
    rope_theta: s.ropeTheta,
    rope_scaling: null,
    rms_norm_eps: RMS_NORM_EPS,
    attention_bias: false,
    mlp_bias: false,
    vocab_size: s.vocabSize,
    bos_token_id: s.bosTokenId,
    eos_token_id: s.eosTokenId,
    tie_word_embeddings: false,
    use_cache: true,
    torch_dtype: "float32",
  };
}
