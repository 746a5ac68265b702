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
import { geluErf, geluTanh, layerNorm, mergeHeads, rmsNorm, silu } from "./layers.ts";
import { applyRotary, rotaryTables, type RotarySpec, type RotaryTables } from "./rotary.ts";
import { WeightInitializers } from "./weight-initializers.ts";

export interface DecoderGraphOptions {
  layout: DecoderLayout;
  /** Float32 or MatMulNBits linear layers and head (default float32). */
  precision?: WeightPrecision;
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

  const norm = (name: (p: "weight" | "bias") => string, x: Value) =>
    a.norm.kind === "layernorm"
      ? layerNorm(b, x, w.asStored(name("weight")), w.asStored(name("bias")), a.norm.eps)
      : rmsNorm(b, x, w.asStored(name("weight")), a.norm.eps);
  const withBias = (y: Value, name: string, present: boolean) => (present ? b.add(y, w.asStored(name)) : y);

  const embedding = w.asStored(W.tokenEmbedding);
  let x = b.gather(embedding, io.inputIds); // [batch, seq, hidden]
  if (a.positions.kind === "learned") x = b.add(x, b.gather(w.asStored(W.positionEmbedding), io.positionIds));
  const rotary: RotarySpec | null = a.positions.kind === "rope" ? a.positions : null;
  const tables: RotaryTables | null = rotary && rotaryTables(b, io.positionIds, rotary);

  /** q or k: [batch, seq, n·D] → [batch, n, seq, D], with the per-head norm (qwen3) and rotary where the architecture has them. */
  const heads = (t: Value, n: number, headNorm: string | null) => {
    let y = b.reshape(t, [0, 0, n, D]);
    if (headNorm) y = rmsNorm(b, y, w.asStored(headNorm), a.norm.eps);
    y = b.transpose(y, [0, 2, 1, 3]);
    return rotary && tables ? applyRotary(b, y, tables, D, rotary) : y;
  };

  const selfAttention = (i: number, h: Value): Value => {
    const names = [W.q(i, "weight"), W.k(i, "weight"), W.v(i, "weight")];
    let qkv = w.linear(h, names, `layers.${i}.attn.qkv.weight`);
    if (a.bias.qkv) qkv = b.add(qkv, w.concatenated([W.q(i, "bias"), W.k(i, "bias"), W.v(i, "bias")], `layers.${i}.attn.qkv.bias`));
    const [q, k, v] = b.splitSizes(qkv, [H * D, KV * D, KV * D], -1) as [Value, Value, Value];
    const query = heads(q, H, a.qkNorm ? W.qNorm(i) : null);
    const key = heads(k, KV, a.qkNorm ? W.kNorm(i) : null);
    const value = b.transpose(b.reshape(v, [0, 0, KV, D]), [0, 2, 1, 3]);
    const att = io.attention({ layer: i, query, key, value, window: a.window[i] ?? null, scale: a.attentionScale });
    return withBias(w.linear(mergeHeads(b, att, H, D), [W.o(i, "weight")]), W.o(i, "bias"), a.bias.attnOut);
  };

  const mlp = (i: number, h: Value): Value => {
    const up = withBias(w.linear(h, [W.up(i, "weight")]), W.up(i, "bias"), a.bias.mlp);
    let act: Value;
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
    return withBias(w.linear(act, [W.down(i, "weight")]), W.down(i, "bias"), a.bias.mlp);
  };

  for (let i = 0; i < a.layers; i++) {
    x = b.scope(`layers.${i}`, () => {
      const attnNorm = (p: "weight" | "bias") => W.attnNorm(i, p);
      const mlpNorm = (p: "weight" | "bias") => W.mlpNorm(i, p);
      if (a.normPlacement === "pre") {
        const x1 = b.add(x, selfAttention(i, norm(attnNorm, x)));
        return b.add(x1, mlp(i, norm(mlpNorm, x1)));
      }
      const x1 = norm(attnNorm, b.add(x, selfAttention(i, x)));
      return norm(mlpNorm, b.add(x1, mlp(i, x1)));
    });
  }

  const hidden = norm(W.finalNorm, io.keptPositions(x));
  io.logits(w.head(hidden, a.tiedEmbeddings ? W.tokenEmbedding : W.lmHead, E, a.vocabSize));
  return b.toModel({ "gpt3dev_api.architecture": a.name, "gpt3dev_api.layout": opts.layout.name, ...opts.layout.metadata, ...opts.metadata });
}
