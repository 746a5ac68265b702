/**
 * The element types checkpoints store, by safetensors' names (pytorch storages are mapped onto the same names),
 * their sizes, and the decoding of the floating ones to float32.
 */
import { ConvertError } from "../convert-error.ts";
import { bf16ToFloat32, f16ToFloat32 } from "../numeric/half-float.ts";

/** Bytes per element of every dtype safetensors defines; anything else in a header is refused. */
export const ELEMENT_SIZE: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

/** The dtypes readFloat32 decodes. */
export const FLOAT_DTYPES: readonly string[] = ["F32", "F16", "BF16", "F64"];

/**
 * Little-endian stored bytes → float32. `bytes` may sit at any offset (a slice of a larger read), so it is copied
 * into an aligned buffer where the element view needs one.
 */
export function decodeFloat32(bytes: Uint8Array, dtype: string, what: { name: string; file: string }): Float32Array {
  switch (dtype) {
    case "F32":
      return new Float32Array(aligned(bytes, 4).buffer, 0, bytes.byteLength / 4);
    case "F16":
      return f16ToFloat32(new Uint16Array(aligned(bytes, 2).buffer, 0, bytes.byteLength / 2));
    case "BF16":
      return bf16ToFloat32(new Uint16Array(aligned(bytes, 2).buffer, 0, bytes.byteLength / 2));
    case "F64":
      return Float32Array.from(new Float64Array(aligned(bytes, 8).buffer, 0, bytes.byteLength / 8));
    default:
      throw new ConvertError(
        "unsupported_tensor_type",
        `${what.file}: tensor ${what.name} is stored as ${dtype}; only ${FLOAT_DTYPES.join(", ")} weights can be converted`,
        what.file,
      );
  }
}

/** `bytes` itself when it starts at offset 0 of its own buffer and fills it; else an aligned copy. */
function aligned(bytes: Uint8Array, size: number): Uint8Array {
  if (bytes.byteOffset % size === 0 && bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength) return bytes;
  return bytes.slice();
}
