import type { GgufSummary } from "../convert/gguf/gguf-checkpoint.ts";

/** What a model is, once the server has seen its files (the model detail the HTTP layer shows). */
export interface ModelAbout {
  /** onnx: an export, run as published; safetensors / pytorch / gguf: weights this server built a graph from. */
  format: "onnx" | "safetensors" | "pytorch" | "gguf";
  /** The converter's name for it (gpt2, gpt3dev-v1, llama, …), or an export's config model_type. */
  architecture: string | null;
  /** Known for built graphs (counted from the weights). */
  parameters: number | null;
  /** Built graphs only. */
  build: {
    /** Compute precision of the graph. */
    dtype: string;
    /** What the graph's weights take as it runs (4 bytes a parameter in fp32; q8 / q4 blocks and scales, plus the float32 embedding). */
    weightBytes: number;
    seconds: number;
    builtAt: string;
  } | null;
  /** GGUF files: which, their quantization and what they hold. */
  gguf: GgufSummary | null;
}
