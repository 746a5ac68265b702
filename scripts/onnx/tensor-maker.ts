/**
 * Makes a checkpoint's stored tensors from seeded streams: random matrices, and norm weights / biases that are
 * either the identity (ones, zeros: what the first exports used) or random too (so a checkpoint test notices a
 * norm weight or a bias that is read wrongly or not at all).
 */
import { roundedTo, type StoredDtype, type StoredTensor } from "../checkpoints/stored-tensor.ts";
import { count, normal, uniform } from "./seeded-weights.ts";

export type Affine = "identity" | "random";

export class TensorMaker {
  readonly tensors: StoredTensor[] = [];

  constructor(
    private readonly seed: string,
    private readonly dtype: StoredDtype,
    private readonly affine: Affine,
  ) {}

  random(name: string, shape: readonly number[], std: number): void {
    this.add(name, shape, uniform(`${this.seed}/${name}`, count(shape), std));
  }

  /** Normal values, as GPT-2 initializes its weights (N(0, std²)). */
  normal(name: string, shape: readonly number[], std: number): void {
    this.add(name, shape, normal(`${this.seed}/${name}`, count(shape), std));
  }

  /**
   * A Linear weight [out, in] whose stream is drawn in [in, out] order and transposed: the factory's first llama
   * export stored its projections [in, out], and drawing them the same way keeps test-chat's weights unchanged.
   */
  randomLinear(name: string, outSize: number, inSize: number, std: number): void {
    const drawn = uniform(`${this.seed}/${name}`, inSize * outSize, std);
    const values = new Float32Array(drawn.length);
    for (let r = 0; r < inSize; r++) for (let c = 0; c < outSize; c++) values[c * inSize + r] = drawn[r * outSize + c]!;
    this.add(name, [outSize, inSize], values);
  }

  /** A norm weight: ones, or 1 ± 0.35. */
  normWeight(name: string, size: number): void {
    const values = new Float32Array(size).fill(1);
    if (this.affine === "random") uniform(`${this.seed}/${name}`, size, 0.2).forEach((v, i) => (values[i] = 1 + v));
    this.add(name, [size], values);
  }

  /** A bias: zeros, or random with std 0.1. */
  bias(name: string, size: number): void {
    this.add(name, [size], this.affine === "random" ? uniform(`${this.seed}/${name}`, size, 0.1) : new Float32Array(size));
  }

  /** A tensor with given values, stored as float32 whatever the checkpoint's dtype (mask buffers). */
  fixed(name: string, shape: readonly number[], values: Float32Array): void {
    this.tensors.push({ name, shape, dtype: "F32", values });
  }

  private add(name: string, shape: readonly number[], values: Float32Array): void {
    this.tensors.push({ name, shape, dtype: this.dtype, values: roundedTo(this.dtype, values) });
  }
}
