/**
 * The stored tensors of a checkpoint as an architecture recipe sees them: each logical weight is one stored tensor
 * taken as it is, transposed (GPT-2's Conv1D), or cut out of a fused one (c_attn's q, k, v). Every stored tensor
 * used is checked for presence and shape when the mapping is made; bytes are read only when the writer loads.
 */
import { ConvertError } from "../convert-error.ts";
import type { WeightTensor } from "../decoder-architecture.ts";
import { transpose2d } from "../numeric/transpose.ts";
import type { TensorInfo, TensorSource } from "../tensor-source.ts";

export class StoredWeights {
  /** The last tensor read: q, k and v cut from one fused tensor read it once. */
  private last: { name: string; data: Promise<Float32Array> } | null = null;

  constructor(
    private readonly source: TensorSource,
    /** Architecture name, for messages. */
    private readonly architecture: string,
  ) {}

  has(name: string): boolean {
    return this.source.tensors.has(name);
  }

  /** The stored tensor `name`, which must have `shape`. */
  info(name: string, shape: readonly number[]): TensorInfo {
    const info = this.source.tensors.get(name);
    if (!info) throw new ConvertError("checkpoint_invalid", `the checkpoint has no tensor ${name}, which a ${this.architecture} checkpoint needs`);
    if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
      throw new ConvertError(
        "checkpoint_invalid",
        `${info.file}: tensor ${name} has shape [${info.shape.join(", ")}], the config needs [${shape.join(", ")}]`,
        info.file,
      );
    }
    return info;
  }

  /** Taken as stored. */
  direct(name: string, shape: readonly number[]): WeightTensor {
    const info = this.info(name, shape);
    return { shape, origin: origin(info), load: () => this.read(name) };
  }

  /** A stored [rows, cols] matrix used as its transpose (Conv1D [in, out] → Linear [out, in]). */
  transposed(name: string, storedShape: readonly [number, number]): WeightTensor {
    const info = this.info(name, storedShape);
    const [rows, cols] = storedShape;
    return { shape: [cols, rows], origin: origin(info), load: async () => transpose2d(await this.read(name), rows, cols) };
  }

  /** Rows [from, to) of a stored [rows, …] tensor (a fused Linear's q, k or v part, or a slice of a 1-D bias). */
  rows(name: string, storedShape: readonly number[], from: number, to: number): WeightTensor {
    const info = this.info(name, storedShape);
    const width = storedShape.slice(1).reduce((a, b) => a * b, 1);
    return {
      shape: [to - from, ...storedShape.slice(1)],
      origin: `${origin(info)}[${from}:${to}]`,
      load: async () => (await this.read(name)).slice(from * width, to * width),
    };
  }

  /** Columns [from, to) of a stored [in, out] Conv1D matrix, as a Linear [to − from, in]. */
  transposedColumns(name: string, storedShape: readonly [number, number], from: number, to: number): WeightTensor {
    const info = this.info(name, storedShape);
    const [rows, cols] = storedShape;
    return {
      shape: [to - from, rows],
      origin: `${origin(info)}[:, ${from}:${to}]`,
      load: async () => {
        const src = await this.read(name);
        const out = new Float32Array((to - from) * rows);
        for (let r = 0; r < rows; r++) {
          const at = r * cols;
          for (let c = from; c < to; c++) out[(c - from) * rows + r] = src[at + c]!;
        }
        return out;
      },
    };
  }

  private read(name: string): Promise<Float32Array> {
    if (this.last?.name !== name) this.last = { name, data: this.source.readFloat32(name) };
    const data = this.last.data;
    data.catch(() => {
      if (this.last?.data === data) this.last = null;
    });
    return data;
  }
}

function origin(info: TensorInfo): string {
  return `${info.file}: ${info.name}`;
}
