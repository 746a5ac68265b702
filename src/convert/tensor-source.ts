/**
 * What every checkpoint reader (safetensors, pytorch_model.bin, GGUF) offers: the tensors it holds, by their
 * stored names, read one at a time so a build never holds more than one tensor's bytes beyond the graph it
 * writes. Readers validate every header, offset and size against the file before anything is allocated.
 */
export interface TensorInfo {
  /** The stored name (`transformer.h.0.attn.c_attn.weight`, `blk.0.attn_q.weight`). */
  name: string;
  /** Row-major, outermost first, as PyTorch writes it (GGUF's innermost-first dims are reversed into this). */
  shape: readonly number[];
  /** Stored element type: safetensors' names (F32, F16, BF16, …) or ggml's (Q8_0, Q4_K, …). */
  dtype: string;
  /** File the tensor lives in (base name), for error messages. */
  file: string;
}

export interface TensorSource {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** The elements as float32, row-major (converted or dequantized); a ConvertError names the file when bytes are bad. */
  readFloat32(name: string): Promise<Float32Array>;
  /** The stored bytes as they are (ggml blocks, for mapping Q8_0 / Q4_0 onto MatMulNBits without requantizing). */
  readRaw(name: string): Promise<Uint8Array>;
  close(): Promise<void>;
}
