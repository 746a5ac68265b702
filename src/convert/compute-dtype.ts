/**
 * The compute precisions a built graph can have, and what each means for its weights:
 *
 *   fp32  every linear layer a float32 MatMul, the LM head a float32 Gemm on the (tied) embedding
 *   q8    every linear layer and the LM head MatMulNBits at 8 bits (block 32, accuracy level 4: int8 activations)
 *   q4    the same at 4 bits, the LM head included (docs/perf/matmul-nbits.md: the 4-bit head is the faster step
 *         and stays inside the quality bound)
 *
 * The token embedding stays float32 (a Gather reads one row per token); a tied head gets its own quantized copy.
 */
import type { NBits } from "./quantize/nbits-weight.ts";

export type ComputeDtype = "fp32" | "q8" | "q4";
export const COMPUTE_DTYPES: readonly ComputeDtype[] = ["fp32", "q8", "q4"];

export function isComputeDtype(dtype: string): dtype is ComputeDtype {
  return (COMPUTE_DTYPES as readonly string[]).includes(dtype);
}

/** How a graph's weights are stored: null = float32, else MatMulNBits at that width. */
export interface WeightPrecision {
  linearBits: NBits | null;
  headBits: NBits | null;
}

export function weightPrecision(dtype: ComputeDtype): WeightPrecision {
  switch (dtype) {
    case "fp32":
      return { linearBits: null, headBits: null };
    case "q8":
      return { linearBits: 8, headBits: 8 };
    case "q4":
      return { linearBits: 4, headBits: 4 };
  }
}

/** MatMulNBits settings every quantized layer uses (docs/perf/matmul-nbits.md). */
export const NBITS_BLOCK_SIZE = 32;
export const NBITS_ACCURACY_LEVEL = 4;
