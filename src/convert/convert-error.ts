/**
 * What the converter raises: one error type with a code that says what is wrong with a checkpoint, naming the
 * file. It knows nothing of HTTP; the model pool reports it as the model being unavailable, and src/http maps
 * that to a 503 once.
 *
 * | code                      | when                                                                          |
 * |---------------------------|-------------------------------------------------------------------------------|
 * | checkpoint_missing        | the folder holds no weights the converter can read                            |
 * | checkpoint_invalid        | a file is truncated, malformed or hostile (header, offsets, names, shapes)     |
 * | unsupported_architecture  | model_type / architectures / general.architecture is not one we build          |
 * | unsupported_config        | a known architecture with a config we cannot honour (missing or absurd fields) |
 * | unsupported_tensor_type   | a stored element type we do not decode (e.g. I8 safetensors, Q2_K GGUF)        |
 * | unsupported_dtype         | the registry's dtype cannot be honoured for this model                         |
 * | build_failed              | writing the built graph failed (disk full, permissions)                        |
 */
export type ConvertErrorCode =
  | "checkpoint_missing"
  | "checkpoint_invalid"
  | "unsupported_architecture"
  | "unsupported_config"
  | "unsupported_tensor_type"
  | "unsupported_dtype"
  | "build_failed";

export class ConvertError extends Error {
  override name = "ConvertError";

  constructor(
    readonly code: ConvertErrorCode,
    message: string,
    /** The file the problem is in (base name inside the model folder), when there is one. */
    readonly file: string | null = null,
  ) {
    super(message);
  }
}
