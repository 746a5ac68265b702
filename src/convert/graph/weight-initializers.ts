/**
 * Logical weights → graph initializers, each produced only when the model writer reaches it: projection matrices
 * transposed to MatMul's [in, out], q/k/v fused into one matrix (one MatMul per layer instead of three),
 * embedding and LM head kept as stored ([rows, width], read by Gather and by Gemm with transB).
 */
import { ConvertError } from "../convert-error.ts";
import type { WeightTensor } from "../decoder-architecture.ts";
import { elementCount, type GraphBuilder, type Value } from "../onnx/graph-builder.ts";
import { transpose2d } from "../numeric/transpose.ts";

export class WeightInitializers {
  private readonly made = new Map<string, Value>();

  constructor(
    private readonly b: GraphBuilder,
    private readonly weights: ReadonlyMap<string, WeightTensor>,
  ) {}

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
