/**
 * GPT-2 from a peer-bench GGUF as a graph with the owned-KV interface of docs/perf/owned-kv-layout.md, for the
 * probes (the converter's graph writer is the real home of this; it builds the same interface for every
 * architecture). Linear layers are fp32 MatMul, or MatMulNBits at 8 / 4 bits (block 32, accuracy level 4), either
 * mapped from the file's Q8_0 / Q4_0 blocks without requantizing or quantized from float by our quantizer.
 *
 *   inputs   input_ids int64 [batch, seq]          past_lengths int64 [batch]        num_logits_to_keep int64 []
 *            cache.{i}.key / cache.{i}.value float32 [batch, heads, capacity, head_dim]
 *   outputs  logits float32 [batch, keep, vocab]   new.{i}.key / new.{i}.value float32 [batch, heads, seq, head_dim]
 */
import { GraphBuilder, type Value } from "../../../src/convert/onnx/graph-builder.ts";
import type { ModelProto, TensorProto } from "../../../src/convert/onnx/onnx-proto.ts";
import { geluTanh, layerNorm } from "../../../src/convert/graph/layers.ts";
import { ggufBlocksToNBits, isMappableGgufBlockType } from "../../../src/convert/quantize/gguf-blocks.ts";
import { quantizeNBits, transposeToRows } from "../../../src/convert/quantize/quantize-nbits.ts";
import type { NBitsWeight } from "../../../src/convert/quantize/nbits-weight.ts";
import { toFloat32, type GgufTensor } from "./gguf-lite.ts";
import { contribModel, rawInitializer, UINT8 } from "./probe-kit.ts";

export interface Gpt2Dims {
  layers: number;
  width: number;
  heads: number;
  vocab: number;
  positions: number;
}

export interface BuildOptions {
  /** Bits of the linear layers (null = fp32 MatMul). */
  bits: 8 | 4 | null;
  /** Bits of the LM head (null = fp32 Gemm on the tied embedding). */
  headBits: 8 | 4 | null;
  /** Quantize from float even where the file holds blocks of the wanted width. */
  requantize?: boolean;
  symmetric?: boolean;
  accuracyLevel?: number;
}

const MASKED = -3.4028234663852886e38;

export function gpt2Dims(t: Map<string, GgufTensor>): Gpt2Dims {
  let layers = 0;
  while (t.has(`blk.${layers}.attn_qkv.weight`)) layers++;
  const [width, vocab] = t.get("token_embd.weight")!.dims as [number, number];
  return { layers, width, heads: width / 64, vocab, positions: t.get("position_embd.weight")!.dims[1]! };
}

export function buildOwnedKvGpt2(t: Map<string, GgufTensor>, o: BuildOptions): ModelProto {
  const dims = gpt2Dims(t);
  const { layers: L, width: E, heads: H, vocab: V } = dims;
  const D = E / H;
  const b = new GraphBuilder("gpt2-owned-kv");
  const extra: TensorProto[] = [];
  const f = (name: string) => b.initializer(name, t.get(name)!.dims.slice().reverse(), toFloat32(t.get(name)!));

  const inputIds = b.input("input_ids", "int64", ["batch", "seq"]);
  const pastLengths = b.input("past_lengths", "int64", ["batch"]);
  const keep = b.input("num_logits_to_keep", "int64", []);
  const zero = b.int64s([0], []);
  const one = b.int64s([1], []);
  const S = b.dim(inputIds, 1);
  const step = b.range(zero, S, one); // [S]
  const positions = b.add(b.unsqueeze(pastLengths, [1]), step); // [B, S]: slot j of a row is position j

  const wte = f("token_embd.weight");
  let x = b.add(b.gather(wte, inputIds), b.gather(f("position_embd.weight"), positions));

  const caches = Array.from({ length: L }, (_, i) => ({
    key: b.input(`cache.${i}.key`, "float32", ["batch", H, "capacity", D]),
    value: b.input(`cache.${i}.value`, "float32", ["batch", H, "capacity", D]),
  }));
  // shared by all layers: bias over the cache slots (0 used, MASKED unused) and causal bias among new tokens
  const C = b.dim(caches[0]!.key, 2);
  const slot = b.range(zero, C, one);
  const pastBias = b.unsqueeze(b.where(b.op("Less", [slot, b.unsqueeze(pastLengths, [1])]), b.scalar(0), b.scalar(MASKED)), [1, 2]); // [B,1,1,C]
  const newBias = b.where(b.lessOrEqual(step, b.unsqueeze(step, [1])), b.scalar(0), b.scalar(MASKED)); // [S, S]
  const splitSizes = b.concat([b.unsqueeze(C, [0]), b.unsqueeze(S, [0])], 0);

  const linear = (x: Value, name: string, bias: string) => {
    const w = t.get(name)!;
    const [inSize, outSize] = w.dims as [number, number];
    let y: Value;
    if (o.bits === null) y = b.matmul(x, b.initializer(name, [inSize, outSize], transposeToRows(toFloat32(w), outSize, inSize)));
    else y = nbits(b, extra, x, weightBits(w, o.bits, o), name, o.accuracyLevel ?? 4);
    return b.add(y, f(bias));
  };
  const norm = (x: Value, p: string) => layerNorm(b, x, f(`${p}.weight`), f(`${p}.bias`), 1e-5);
  const toHeads = (v: Value) => b.transpose(b.reshape(v, [0, 0, H, D]), [0, 2, 1, 3]);

  for (let i = 0; i < L; i++) {
    const p = `blk.${i}`;
    x = b.scope(`h.${i}`, () => {
      const qkv = linear(norm(x, `${p}.attn_norm`), `${p}.attn_qkv.weight`, `${p}.attn_qkv.bias`);
      const [q, k, v] = b.split(qkv, 3, -1) as [Value, Value, Value];
      const qh = b.mul(toHeads(q), b.scalar(1 / Math.sqrt(D)));
      const kh = toHeads(k);
      const vh = toHeads(v);
      // the new rows in the cache's layout: one contiguous run per head for the engine to copy
      b.output(kh, `new.${i}.key`, "float32", ["batch", H, "seq", D]);
      b.output(vh, `new.${i}.value`, "float32", ["batch", H, "seq", D]);
      const sPast = b.add(b.matmul(qh, b.transpose(caches[i]!.key, [0, 1, 3, 2])), pastBias);
      const sNew = b.add(b.matmul(qh, b.transpose(kh, [0, 1, 3, 2])), newBias);
      const probs = b.softmax(b.concat([sPast, sNew], -1), -1);
      const [pPast, pNew] = b.opN("Split", [probs, splitSizes], 2, { axis: -1 }) as [Value, Value];
      const attn = b.add(b.matmul(pPast, caches[i]!.value), b.matmul(pNew, vh));
      const merged = b.reshape(b.transpose(attn, [0, 2, 1, 3]), [0, 0, E]);
      const x1 = b.add(x, linear(merged, `${p}.attn_output.weight`, `${p}.attn_output.bias`));
      const up = geluTanh(b, linear(norm(x1, `${p}.ffn_norm`), `${p}.ffn_up.weight`, `${p}.ffn_up.bias`));
      return b.add(x1, linear(up, `${p}.ffn_down.weight`, `${p}.ffn_down.bias`));
    });
  }
  // only the last `keep` positions reach the LM head (1 when decoding or prefilling, seq when scoring, 0 for a
  // prompt chunk that is neither last nor scored); start = seq − keep, so keep 0 selects nothing
  const last = b.op("Slice", [x, b.unsqueeze(b.sub(S, keep), [0]), b.unsqueeze(S, [0]), b.int64s([1])]);
  const hidden = norm(last, "output_norm");
  let logits: Value;
  if (o.headBits === null) {
    const flat = b.op("Gemm", [b.reshape(hidden, [-1, E]), wte], { transB: 1 });
    // allowzero: keep = 0 means an empty dimension, not "copy the input's"
    const shape = b.concat([b.unsqueeze(b.dim(hidden, 0), [0]), b.unsqueeze(keep, [0]), b.int64s([V])], 0);
    logits = b.op("Reshape", [flat, shape], { allowzero: 1 });
  } else {
    logits = nbits(b, extra, hidden, weightBits(t.get("token_embd.weight")!, o.headBits, o), "lm_head", o.accuracyLevel ?? 4);
  }
  b.output(logits, "logits", "float32", ["batch", "keep", V]);
  return contribModel(b, { initializers: extra });
}

/** A GGUF [out, in] tensor as MatMulNBits weights: its own blocks when they have the wanted width, else quantized. */
function weightBits(w: GgufTensor, bits: 8 | 4, o: BuildOptions): NBitsWeight {
  const [k, n] = w.dims as [number, number];
  const native = (w.type === "Q8_0" && bits === 8) || (w.type === "Q4_0" && bits === 4);
  if (native && !o.requantize && isMappableGgufBlockType(w.type)) return ggufBlocksToNBits(w.type, w.bytes, n, k, w.name);
  return quantizeNBits(toFloat32(w), n, k, { bits, symmetric: o.symmetric ?? true });
}

function nbits(b: GraphBuilder, extra: TensorProto[], x: Value, w: NBitsWeight, name: string, accuracyLevel: number): Value {
  const kBlocks = Math.ceil(w.k / w.blockSize);
  extra.push(rawInitializer(`${name}.q`, UINT8, [w.n, kBlocks, (w.blockSize * w.bits) / 8], w.packed));
  extra.push(rawInitializer(`${name}.scales`, 1 as TensorProto["dataType"], [w.n * kBlocks], w.scales));
  const inputs = [x, `${name}.q`, `${name}.scales`];
  if (w.zeroPoints) {
    extra.push(rawInitializer(`${name}.zp`, UINT8, [w.zeroPoints.length], w.zeroPoints));
    inputs.push(`${name}.zp`);
  }
  return b.op("MatMulNBits", inputs, { K: w.k, N: w.n, bits: w.bits, block_size: w.blockSize, accuracy_level: accuracyLevel });
}
