/**
 * A tensor as a checkpoint stores it, held in memory by the test-model factory: its Hugging Face name, shape and
 * stored dtype, and float32 values that the dtype represents exactly (rounded once, when the tensor is made), so
 * a test's reference forward and the written file hold the very same numbers.
 */
import { bf16ToFloat32, f16ToFloat32, float32ToBf16, float32ToF16 } from "../../src/convert/numeric/half-float.ts";

export type StoredDtype = "F32" | "F16" | "BF16";

export interface StoredTensor {
  name: string;
  shape: readonly number[];
  dtype: StoredDtype;
  values: Float32Array;
}

/** `values` rounded to what `dtype` stores. */
export function roundedTo(dtype: StoredDtype, values: Float32Array): Float32Array {
  if (dtype === "F16") return f16ToFloat32(float32ToF16(values));
  if (dtype === "BF16") return bf16ToFloat32(float32ToBf16(values));
  return values;
}

/** The little-endian bytes a checkpoint stores for `t`. */
export function storedBytes(t: StoredTensor): Uint8Array {
  const data = t.dtype === "F32" ? t.values : t.dtype === "F16" ? float32ToF16(t.values) : float32ToBf16(t.values);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export const ELEMENT_BYTES: Record<StoredDtype, number> = { F32: 4, F16: 2, BF16: 2 };
