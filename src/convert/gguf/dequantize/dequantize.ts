/**
 * Stored ggml blocks → float32, for the types the popular GGUF files are made of. Any other type is refused by
 * name (unsupported_tensor_type) rather than guessed at.
 */
import { ConvertError } from "../../convert-error.ts";
import { dequantizeBF16, dequantizeF16, dequantizeF32 } from "./float-formats.ts";
import { dequantizeQ4_K, dequantizeQ5_K, dequantizeQ6_K } from "./k-quant-blocks.ts";
import { dequantizeQ4_0, dequantizeQ4_1, dequantizeQ5_0, dequantizeQ5_1, dequantizeQ8_0 } from "./legacy-blocks.ts";

type Decoder = (bytes: Uint8Array, count: number) => Float32Array;

const DECODERS: Readonly<Record<string, Decoder>> = {
  F32: dequantizeF32,
  F16: dequantizeF16,
  BF16: dequantizeBF16,
  Q4_0: dequantizeQ4_0,
  Q4_1: dequantizeQ4_1,
  Q5_0: dequantizeQ5_0,
  Q5_1: dequantizeQ5_1,
  Q8_0: dequantizeQ8_0,
  Q4_K: dequantizeQ4_K,
  Q5_K: dequantizeQ5_K,
  Q6_K: dequantizeQ6_K,
};

export const DECODED_TYPES: readonly string[] = Object.keys(DECODERS);

export function canDequantize(type: string): boolean {
  return type in DECODERS;
}

export function unsupportedTensorType(type: string, where: { file: string; tensor: string }): ConvertError {
  return new ConvertError(
    "unsupported_tensor_type",
    `${where.file}: tensor ${where.tensor} is stored as ${type}, which is not decoded (supported: ${DECODED_TYPES.join(", ")})`,
    where.file,
  );
}

/**
 * `count` weights from `bytes` (exactly the tensor's stored bytes; the header reader has checked the size and that
 * rows are whole blocks).
 */
export function dequantize(type: string, bytes: Uint8Array, count: number, where: { file: string; tensor: string }): Float32Array {
  const decode = DECODERS[type];
  if (!decode) throw unsupportedTensorType(type, where);
  return decode(bytes, count);
}
