/**
 * Logical weights → graph initializers and the linear layers that read them, each weight produced only when the
 * model writer reaches it. fp32: projection matrices transposed to MatMul's [in, out], q/k/v fused into one matrix
 * (one MatMul per layer instead of three), embedding and LM head kept as stored ([rows, width], read by Gather
 * and by Gemm with transB). q8 / q4: every linear layer and the LM head as MatMulNBits over [out, in] rows
 * (nbits-from-weights.ts), the tied head as its own quantized copy of the embedding.
 */
import { NBITS_ACCURACY_LEVEL, NBITS_BLOCK_SIZE, type WeightPrecision } from "../compute-dtype.ts";
import { ConvertError } from "../convert-error.ts";
import type { WeightTensor } from "../decoder-architecture.ts";
import { elementCount, MICROSOFT_DOMAIN, type GraphBuilder, type Value } from "../onnx/graph-builder.ts";
import { transpose2d } from "../numeric/transpose.ts";
import { nbitsFromWeights } from "../quantize/nbits-from-weights.ts";
import { blobBytes, blocksPerRow, type NBits, type NBitsWeight } from "../quantize/nbits-weight.ts";
import { lmHead } from "./layers.ts";

const FLOAT32: WeightPrecision = { linearBits: null, headBits: null };

export class WeightInitializers {
  private readonly made = new Map<string, Value>();

  constructor(
    private readonly b: GraphBuilder,
    private readonly weights: ReadonlyMap<string, WeightTensor>,
    private readonly precision: WeightPrecision = FLOAT32,
  ) {}

  /** x [..., in] times the linear weights `names` (rows stacked when several: fused q/k/v), plus `bias` → [..., Σ out]. */
  linear(x: Value, names: readonly string[], bias: Value | null = null, initName = names[0]!): Value {
    const bits = this.precision.linearBits;
    if (bits !== null) return this.nbits(x, names, initName, bits, bias);
    const y = this.b.matmul(x, this.matmul(names, initName));
    return bias ? this.b.add(y, bias) : y;
  }

  /** The LM head on hidden states [batch, kept, width] → logits [batch, kept, vocab]; `name` is the stored [vocab, width] matrix. */
  head(hidden: Value, name: string, width: number, vocab: number): Value {
    const bits = this.precision.headBits;
    if (bits === null) return lmHead(this.b, hidden, this.asStored(name), width, vocab);
    return this.nbits(hidden, [name], "lm_head", bits);
  }

  /** MatMulNBits over the stacked rows of `names`; its packed blocks and scales come from one quantization. */
  private nbits(x: Value, names: readonly string[], initName: string, bits: NBits, bias: Value | null = null): Value {
    const parts = names.map((n) => this.get(n));
    const k = parts[0]!.shape[1]!;
    const n = parts.reduce((s, p) => s + p.shape[0]!, 0);
    if (parts.some((p) => p.shape.length !== 2 || p.shape[1] !== k)) throw new Error(`${initName}: parts do not share an input size`);
    const kBlocks = blocksPerRow(k, NBITS_BLOCK_SIZE);
    // The writer produces initializers in order, the blocks right before the scales: one quantization serves both
    // and is dropped once the scales are written, so a build holds one quantized weight at a time.
    let pending: Promise<NBitsWeight> | null = null;
    const quantized = () => (pending ??= nbitsFromWeights(parts, bits, NBITS_BLOCK_SIZE, (w) => this.load(w)));
    const blocks = this.once(`${initName}.nbits`, () =>
      this.b.lazyInitializer(`${initName}.nbits`, "uint8", [n, kBlocks, blobBytes(bits, NBITS_BLOCK_SIZE)], async () => (await quantized()).packed),
    );
    const scales = this.once(`${initName}.scales`, () =>
      this.b.lazyInitializer(`${initName}.scales`, "float32", [n * kBlocks], async () => {
        const w = await quantized();
        pending = null;
        return bytes(w.scales);
      }),
    );
    const attrs = { K: k, N: n, bits, block_size: NBITS_BLOCK_SIZE, accuracy_level: NBITS_ACCURACY_LEVEL };
    // inputs: A, B, scales, zero_points, g_idx, bias (the operator adds it: no separate pass)
    return this.b.op("MatMulNBits", bias ? [x, blocks, scales, "", "", bias] : [x, blocks, scales], attrs, { domain: MICROSOFT_DOMAIN });
  }

  /** A tensor as stored (embeddings, LM head, norm weights, biases). */
  asStored(name: string): Value {
    return this.once(name, () => {
      const w = this.get(name);
      return this.b.lazyInitializer(name, "float32", w.shape, async () => bytes(await this.load(w)));
    });
  }

  /** Linear weights [out_i, in] → one MatMul matrix [in, Σ out_i] (a single weight is simply transposed). */
  matmul(names: readonly string[], initName = names[0]!): Value {
    return this.once(initName, () => {
      const parts = names.map((n) => this.get(n));
      const inSize = parts[0]!.shape[1]!;
      const outSizes = parts.map((p) => p.shape[0]!);
      if (parts.some((p) => p.shape.length !== 2 || p.shape[1] !== inSize)) throw new Error(`${initName}: parts do not share an input size`);
      const total = outSizes.reduce((a, c) => a + c, 0);
      return this.b.lazyInitializer(initName, "float32", [inSize, total], async () => {
        if (parts.length === 1) return bytes(transpose2d(await this.load(parts[0]!), outSizes[0]!, inSize));
        // Row r of the result is [part0[:, r], part1[:, r], …].
        const out = new Float32Array(inSize * total);
        let column = 0;
        for (const [j, p] of parts.entries()) {
          const t = transpose2d(await this.load(p), outSizes[j]!, inSize); // [in, out_j]
          const width = outSizes[j]!;
          for (let r = 0; r < inSize; r++) out.set(t.subarray(r * width, (r + 1) * width), r * total + column);
          column += width;
        }
        return bytes(out);
      });
    });
  }

  /** 1-D weights concatenated (the fused q/k/v bias). */
  concatenated(names: readonly string[], initName: string): Value {
    if (names.length === 1) return this.asStored(names[0]!);
    return this.once(initName, () => {
      const parts = names.map((n) => this.get(n));
      const total = parts.reduce((a, p) => a + elementCount(p.shape), 0);
      return this.b.lazyInitializer(initName, "float32", [total], async () => {
        const out = new Float32Array(total);
        let at = 0;
        for (const p of parts) {
          const v = await this.load(p);
          out.set(v, at);
          at += v.length;
        }
        return bytes(out);
      });
    });
  }

  private once(name: string, make: () => Value): Value {
    let v = this.made.get(name);
    if (!v) this.made.set(name, (v = make()));
    return v;
  }

  private get(name: string): WeightTensor {
    const w = this.weights.get(name);
    if (!w) throw new ConvertError("checkpoint_invalid", `the checkpoint has no tensor for ${name}`);
    return w;
  }

  private async load(w: WeightTensor): Promise<Float32Array> {
    const data = await w.load();
    if (data.length !== elementCount(w.shape)) {
      throw new ConvertError("checkpoint_invalid", `${w.origin}: ${data.length} values were read for shape [${w.shape.join(", ")}]`);
    }
    return data;
  }
}

function bytes(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
