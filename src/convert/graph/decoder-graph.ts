/**
 * DecoderArchitecture + logical weights → an ONNX decoder graph with KV cache. Every feature of the description is
 * built here: learned or rotary positions (with scaling, partial and interleaved rotary), LayerNorm or RMSNorm
 * placed pre or post, the MLP activations and SwiGLU, biases, q/k norms, per-layer attention windows, grouped-query
 * attention, tied or separate heads, the attention scale. How the graph meets the engine is the layout's business.
 */
import type { WeightPrecision } from "../compute-dtype.ts";
import { W, type DecoderArchitecture, type WeightTensor } from "../decoder-architecture.ts";
import { checkArchitecture, checkDecoderWeights } from "../decoder-weight-shapes.ts";
import { GraphBuilder, type ModelProto, type Value } from "../onnx/graph-builder.ts";
import type { DecoderLayout } from "./decoder-layout.ts";
import { erfGelu, fastGelu, simplifiedNorm, skipNorm } from "./fused-ops.ts";
import { geluErf, geluTanh, layerNorm, mergeHeads, rmsNorm, silu } from "./layers.ts";
import { applyRotary, rotaryTables, type RotarySpec, type RotaryTables } from "./rotary.ts";
import { WeightInitializers } from "./weight-initializers.ts";

export interface DecoderGraphOptions {
  layout: DecoderLayout;
  /** Float32 or MatMulNBits linear layers and head (default float32). */
  precision?: WeightPrecision;
  /**
   * onnxruntime's fused contrib ops for the residual adds, norms and GELU (fused-ops.ts): what built graphs use.
   * Off (the default) keeps standard ops only, as exports do.
   */
  fusedOps?: boolean;
  /** Extra metadata_props (the builder records its version and the source checkpoint's identity here). */
  metadata?: Readonly<Record<string, string>>;
}

export function decoderGraph(a: DecoderArchitecture, weights: ReadonlyMap<string, WeightTensor>, opts: DecoderGraphOptions): ModelProto {
  checkArchitecture(a);
  checkDecoderWeights(a, weights);
  const { hiddenSize: E, heads: H, kvHeads: KV, headDim: D } = a;
  const b = new GraphBuilder(a.name);
  const w = new WeightInitializers(b, weights, opts.precision);
  const io = opts.layout.begin(b, { layers: a.layers, heads: H, kvHeads: KV, headDim: D, vocabSize: a.vocabSize });

  const fused = opts.fusedOps ?? false;
  type NormName = (p: "weight" | "bias") => string;
  const normWeights = (name: NormName) => ({
    kind: a.norm.kind,
    gamma: w.asStored(name("weight")),
    beta: a.norm.kind === "layernorm" ? w.asStored(name("bias")) : null,
    eps: a.norm.eps,
  });
  const rms = (x: Value, weight: Value) => (fused ? simplifiedNorm(b, x, weight, a.norm.eps) : rmsNorm(b, x, weight, a.norm.eps));
  const norm = (name: NormName, x: Value) => {
    const n = normWeights(name);
    return n.beta ? layerNorm(b, x, n.gamma, n.beta, n.eps) : rms(x, n.gamma);
  };
  const biasOf = (name: string, present: boolean) => (present ? w.asStored(name) : null);
  /** The residual stream x + y (+ y's bias), and that sum normalized by `next` (null: not normalized here). */
  const residual = (x: Value, y: Value, bias: Value | null, next: NormName | null): { sum: Value; normed: Value } => {
    if (fused && next) return skipNorm(b, x, y, bias, normWeights(next));
    const sum = b.add(x, bias ? b.add(y, bias) : y);
    return { sum, normed: next ? norm(next, sum) : sum };
  };

  const embedding = w.asStored(W.tokenEmbedding);
  let x = b.gather(embedding, io.inputIds); // [batch, seq, hidden]
  if (a.positions.kind === "learned") x = b.add(x, b.gather(w.asStored(W.positionEmbedding), io.positionIds));
  const rotary: RotarySpec | null = a.positions.kind === "rope" ? a.positions : null;
  const tables: RotaryTables | null = rotary && rotaryTables(b, io.positionIds, rotary);

  /** q or k: [batch, seq, n·D] → [batch, n, seq, D], with the per-head norm (qwen3) and rotary where the architecture has them. */
  const heads = (t: Value, n: number, headNorm: string | null) => {
    let y = b.reshape(t, [0, 0, n, D]);
    if (headNorm) y = rms(y, w.asStored(headNorm));
    y = b.transpose(y, [0, 2, 1, 3]);
    return rotary && tables ? applyRotary(b, y, tables, D, rotary) : y;
  };

  /** Attention's output projection, before its bias (which the residual add takes). */
  const selfAttention = (i: number, h: Value): Value => {
    const names = [W.q(i, "weight"), W.k(i, "weight"), W.v(i, "weight")];
    const qkvBias = a.bias.qkv ? w.concatenated([W.q(i, "bias"), W.k(i, "bias"), W.v(i, "bias")], `layers.${i}.attn.qkv.bias`) : null;
    const qkv = w.linear(h, names, qkvBias, `layers.${i}.attn.qkv.weight`);
    const [q, k, v] = b.splitSizes(qkv, [H * D, KV * D, KV * D], -1) as [Value, Value, Value];
    const query = heads(q, H, a.qkNorm ? W.qNorm(i) : null);
    const key = heads(k, KV, a.qkNorm ? W.kNorm(i) : null);
    const value = b.transpose(b.reshape(v, [0, 0, KV, D]), [0, 2, 1, 3]);
    const att = io.attention({ layer: i, query, key, value, window: a.window[i] ?? null, scale: a.attentionScale });
    return w.linear(mergeHeads(b, att, H, D), [W.o(i, "weight")]);
  };

  /** The MLP's down projection, before its bias (which the residual add takes). */
  const mlp = (i: number, h: Value): Value => {
    const upBias = biasOf(W.up(i, "bias"), a.bias.mlp);
    let act: Value;
    if (fused && (a.mlp === "gelu_tanh" || a.mlp === "gelu_erf")) {
      // the activation takes the up projection's bias
      const up = w.linear(h, [W.up(i, "weight")]);
      act = a.mlp === "gelu_tanh" ? fastGelu(b, up, upBias) : erfGelu(b, up, upBias);
    } else {
      const up = w.linear(h, [W.up(i, "weight")], upBias);
      switch (a.mlp) {
        case "swiglu":
          act = b.mul(silu(b, w.linear(h, [W.gate(i)])), up);
          break;
        case "gelu_tanh":
          act = geluTanh(b, up);
          break;
        case "gelu_erf":
          act = geluErf(b, up);
          break;
        case "relu":
          act = b.relu(up);
          break;
      }
    }
    return w.linear(act, [W.down(i, "weight")]);
  };

  const attnNorm = (i: number): NormName => (p) => W.attnNorm(i, p);
  const mlpNorm = (i: number): NormName => (p) => W.mlpNorm(i, p);
  const oBias = (i: number) => biasOf(W.o(i, "bias"), a.bias.attnOut);
  const downBias = (i: number) => biasOf(W.down(i, "bias"), a.bias.mlp);
  if (a.normPlacement === "pre") {
    // x + f(norm(x)): each residual add also produces the next norm's input (the next layer's, or none at the end,
    // where only the kept positions are normalized)
    let h = norm(attnNorm(0), x);
    for (let i = 0; i < a.layers; i++) {
      b.scope(`layers.${i}`, () => {
        const r1 = residual(x, selfAttention(i, h), oBias(i), mlpNorm(i));
        const r2 = residual(r1.sum, mlp(i, r1.normed), downBias(i), i + 1 < a.layers ? attnNorm(i + 1) : null);
        x = r2.sum;
        h = r2.normed;
      });
    }
  } else {
    // norm(x + f(x))
    for (let i = 0; i < a.layers; i++) {
      b.scope(`layers.${i}`, () => {
        const x1 = residual(x, selfAttention(i, x), oBias(i), attnNorm(i)).normed;
        x = residual(x1, mlp(i, x1), downBias(i), mlpNorm(i)).normed;
      });
    }
  }

  const hidden = norm(W.finalNorm, io.keptPositions(x));
  io.logits(w.head(hidden, a.tiedEmbeddings ? W.tokenEmbedding : W.lmHead, E, a.vocabSize));
  return b.toModel({ "gpt3dev_api.architecture": a.name, "gpt3dev_api.layout": opts.layout.name, ...opts.layout.metadata, ...opts.metadata });
}
