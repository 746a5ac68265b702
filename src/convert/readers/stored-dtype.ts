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

/** Little-endian stored bytes → float32 (a copy is made only where `bytes` is not aligned for the element view). */
export function decodeFloat32(bytes: Uint8Array, dtype: string, what: { name: string; file: string }): Float32Array {
  switch (dtype) {
    case "F32":
      return view(bytes, 4, (b, o, n) => new Float32Array(b, o, n));
    case "F16":
      return f16ToFloat32(view(bytes, 2, (b, o, n) => new Uint16Array(b, o, n)));
    case "BF16":
      return bf16ToFloat32(view(bytes, 2, (b, o, n) => new Uint16Array(b, o, n)));
    case "F64":
      return Float32Array.from(view(bytes, 8, (b, o, n) => new Float64Array(b, o, n)));
    default:
      throw new ConvertError(
        "unsupported_tensor_type",
        `${what.file}: tensor ${what.name} is stored as ${dtype}; only ${FLOAT_DTYPES.join(", ")} weights can be converted`,
        what.file,
      );
  }
}

function view<T>(bytes: Uint8Array, size: number, make: (buffer: ArrayBufferLike, offset: number, length: number) => T): T {
  const src = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  return make(src.buffer, src.byteOffset, src.byteLength / size);
}
