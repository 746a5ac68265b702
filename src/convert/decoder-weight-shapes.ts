/**
 * What a DecoderArchitecture needs: the logical weights (names from `W`) with their shapes, and the checks that
 * make an architecture buildable. Every format's mapping is checked against these before a graph is written,
 * so a checkpoint whose tensors do not fit its config fails naming the tensor and both shapes.
 */
import { ConvertError } from "./convert-error.ts";
import { W, type DecoderArchitecture, type WeightTensor } from "./decoder-architecture.ts";

/** Elements per weight: more than a Float32Array can hold here (4 GiB). */
export const MAX_TENSOR_ELEMENTS = 2 ** 30;

export function decoderWeightShapes(a: DecoderArchitecture): Map<string, number[]> {
  const E = a.hiddenSize;
  const shapes = new Map<string, number[]>();
  const norm = (name: (p: "weight" | "bias") => string) => {
    shapes.set(name("weight"), [E]);
    if (a.norm.kind === "layernorm") shapes.set(name("bias"), [E]);
  };
  shapes.set(W.tokenEmbedding, [a.vocabSize, E]);
  if (a.positions.kind === "learned") shapes.set(W.positionEmbedding, [a.maxPositions, E]);
  const q = a.heads * a.headDim;
  const kv = a.kvHeads * a.headDim;
  for (let i = 0; i < a.layers; i++) {
    norm((p) => W.attnNorm(i, p));
    shapes.set(W.q(i, "weight"), [q, E]);
    shapes.set(W.k(i, "weight"), [kv, E]);
    shapes.set(W.v(i, "weight"), [kv, E]);
    if (a.bias.qkv) {
      shapes.set(W.q(i, "bias"), [q]);
      shapes.set(W.k(i, "bias"), [kv]);
      shapes.set(W.v(i, "bias"), [kv]);
    }
    shapes.set(W.o(i, "weight"), [E, q]);
    if (a.bias.attnOut) shapes.set(W.o(i, "bias"), [E]);
    if (a.qkNorm) {
      shapes.set(W.qNorm(i), [a.headDim]);
      shapes.set(W.kNorm(i), [a.headDim]);
    }
    norm((p) => W.mlpNorm(i, p));
    if (a.mlp === "swiglu") shapes.set(W.gate(i), [a.intermediateSize, E]);
    shapes.set(W.up(i, "weight"), [a.intermediateSize, E]);
    shapes.set(W.down(i, "weight"), [E, a.intermediateSize]);
    if (a.bias.mlp) {
      shapes.set(W.up(i, "bias"), [a.intermediateSize]);
      shapes.set(W.down(i, "bias"), [E]);
    }
  }
  norm(W.finalNorm);
  if (!a.tiedEmbeddings) shapes.set(W.lmHead, [a.vocabSize, E]);
  return shapes;
}

/**
 * Structural checks the graph writer relies on (the config recipes check their own fields first). `file` is the
 * file the architecture was read from (config.json, the .gguf), named in the error.
 */
export function checkArchitecture(a: DecoderArchitecture, file: string | null = null): void {
  const fail = (problem: string) => new ConvertError("unsupported_config", `${file ? `${file}: ` : ""}${a.name}: ${problem}`, file);
  const positive = { vocabSize: a.vocabSize, hiddenSize: a.hiddenSize, layers: a.layers, heads: a.heads, kvHeads: a.kvHeads, headDim: a.headDim, intermediateSize: a.intermediateSize, maxPositions: a.maxPositions };
  for (const [k, v] of Object.entries(positive)) if (!Number.isSafeInteger(v) || v <= 0) throw fail(`${k} = ${v} is not a positive integer`);
  if (a.heads % a.kvHeads !== 0) throw fail(`${a.heads} attention heads cannot share ${a.kvHeads} key/value heads`);
  if (a.positions.kind === "rope") {
    const { rotaryDim, theta } = a.positions;
    if (rotaryDim <= 0 || rotaryDim % 2 || rotaryDim > a.headDim) throw fail(`rotary dimension ${rotaryDim} must be even and at most head_dim ${a.headDim}`);
    if (!(theta > 1) || !Number.isFinite(theta)) throw fail(`rope theta ${theta} is not a base above 1`);
  }
  if (!(a.norm.eps > 0 && a.norm.eps < 1)) throw fail(`norm epsilon ${a.norm.eps} is not in (0, 1)`);
  if (!(a.attentionScale > 0) || !Number.isFinite(a.attentionScale)) throw fail(`attention scale ${a.attentionScale} is not positive`);
  if (a.window.length !== a.layers) throw fail(`${a.window.length} attention windows for ${a.layers} layers`);
  for (const w of a.window) if (w !== null && !(Number.isSafeInteger(w) && w >= 0)) throw fail(`attention window ${w} is not a count`);
  let total = 0;
  for (const [name, shape] of decoderWeightShapes(a)) {
    const n = shape.reduce((x, y) => x * y, 1);
    if (n > MAX_TENSOR_ELEMENTS) throw fail(`${name} would have ${n} elements [${shape.join(", ")}], more than one tensor can hold`);
    total += n;
  }
  if (total > 2 ** 42) throw fail(`${total} parameters is more than this machine builds`);
}

/** Checks that `weights` holds exactly the tensors `a` needs, each with its shape. */
export function checkDecoderWeights(a: DecoderArchitecture, weights: ReadonlyMap<string, WeightTensor>): void {
  for (const [name, shape] of decoderWeightShapes(a)) {
    const w = weights.get(name);
    if (!w) throw new ConvertError("checkpoint_invalid", `${a.name}: the checkpoint has no tensor for ${name}`);
    if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
      const file = w.origin.split(":")[0] ?? null;
      throw new ConvertError("checkpoint_invalid", `${w.origin} has shape [${w.shape.join(", ")}], the config needs [${shape.join(", ")}] for ${name}`, file);
    }
  }
}

/** Parameters of a checkpoint: the elements of the weights it needs (a tied head counted once). */
export function parameterCount(a: DecoderArchitecture): number {
  let n = 0;
  for (const shape of decoderWeightShapes(a).values()) n += shape.reduce((x, y) => x * y, 1);
  return n;
}
