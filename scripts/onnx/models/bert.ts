/**
 * BERT as a bidirectional encoder: word + position + token-type embeddings, post-LayerNorm blocks, GELU (erf) MLP.
 * Every token attends to every non-padding token; the output is `last_hidden_state` [batch, seq, hidden], which the
 * server mean-pools and normalises into an embedding. Weights are stored [in, out].
 */
import { attention, geluErf, layerNorm, mergeHeads, paddingMask, splitHeads } from "../../../src/convert/graph/layers.ts";
import { GraphBuilder, type ModelProto, type Value } from "../../../src/convert/onnx/graph-builder.ts";
import { count, uniform } from "../seeded-weights.ts";

export interface BertSpec {
  layers: number;
  hiddenSize: number;
  heads: number;
  intermediateSize: number;
  maxPositions: number;
  typeVocabSize: number;
  vocabSize: number;
  padTokenId: number;
  seed: string;
}

const LAYER_NORM_EPS = 1e-12;

export function bertGraph(s: BertSpec): ModelProto {
  const { hiddenSize: E, heads: H, intermediateSize: I } = s;
  const D = E / H;
  const b = new GraphBuilder("bert");
  const random = (name: string, dims: number[], std: number) => b.initializer(name, dims, uniform(`${s.seed}/${name}`, count(dims), std));
  const ones = (name: string, dims: number[]) => b.initializer(name, dims, new Float32Array(count(dims)).fill(1));
  const zeros = (name: string, dims: number[]) => b.initializer(name, dims, new Float32Array(count(dims)));
  const norm = (name: string, x: Value) => layerNorm(b, x, ones(`${name}.weight`, [E]), zeros(`${name}.bias`, [E]), LAYER_NORM_EPS);
  const dense = (name: string, x: Value, inSize: number, outSize: number) =>
    b.linear(x, random(`${name}.weight`, [inSize, outSize], 1 / Math.sqrt(inSize)), zeros(`${name}.bias`, [outSize]));
  const embedding = (name: string, rows: number, ids: Value) => b.gather(random(name, [rows, E], 1), ids);

  const dims = ["batch_size", "sequence_length"];
  const inputIds = b.input("input_ids", "int64", dims);
  const attentionMask = b.input("attention_mask", "int64", dims);
  const tokenTypeIds = b.input("token_type_ids", "int64", dims);

  const e = "bert.embeddings";
  const positions = b.range(b.int64s([0], []), b.dim(inputIds, 1), b.int64s([1], [])); // [seq], broadcast over batch
  const words = embedding(`${e}.word_embeddings.weight`, s.vocabSize, inputIds);
  const placed = b.add(words, embedding(`${e}.position_embeddings.weight`, s.maxPositions, positions));
  let x = norm(`${e}.LayerNorm`, b.add(placed, embedding(`${e}.token_type_embeddings.weight`, s.typeVocabSize, tokenTypeIds)));
  const mask = paddingMask(b, attentionMask); // [batch, 1, 1, seq]: no causal part

  for (let i = 0; i < s.layers; i++) {
    const n = `bert.encoder.layer.${i}`;
    x = b.scope(`layer.${i}`, () => {
      const [q, k, v] = ["query", "key", "value"].map((w) => splitHeads(b, dense(`${n}.attention.self.${w}`, x, E, E), H, D)) as [Value, Value, Value];
      const a = dense(`${n}.attention.output.dense`, mergeHeads(b, attention(b, q, k, v, mask, 1 / Math.sqrt(D)), H, D), E, E);
      const x1 = norm(`${n}.attention.output.LayerNorm`, b.add(x, a));
      const up = geluErf(b, dense(`${n}.intermediate.dense`, x1, E, I));
      return norm(`${n}.output.LayerNorm`, b.add(x1, dense(`${n}.output.dense`, up, I, E)));
    });
  }

  b.output(x, "last_hidden_state", "float32", ["batch_size", "sequence_length", E]);
  return b.toModel();
}

/** config.json as Hugging Face writes it for BertModel. */
export function bertConfig(s: BertSpec): Record<string, unknown> {
  return {
    architectures: ["BertModel"],
    model_type: "bert",
    hidden_act: "gelu",
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    hidden_size: s.hiddenSize,
    intermediate_size: s.intermediateSize,
    max_position_embeddings: s.maxPositions,
    type_vocab_size: s.typeVocabSize,
    vocab_size: s.vocabSize,
    layer_norm_eps: LAYER_NORM_EPS,
    pad_token_id: s.padTokenId,
    position_embedding_type: "absolute",
    torch_dtype: "float32",
  };
}
