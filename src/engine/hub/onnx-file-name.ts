import type { ModelDtype } from "../../registry/registry-entry.ts";

/** ONNX file suffixes by dtype, as transformers.js (and the Xenova/onnx-community exports) lay them out. */
const ONNX_SUFFIX: Record<ModelDtype, string> = {
  fp32: "",
  fp16: "_fp16",
  q8: "_quantized",
  int8: "_int8",
  uint8: "_uint8",
  q4: "_q4",
  q4f16: "_q4f16",
  bnb4: "_bnb4",
};

/** `onnx/model{suffix}.onnx`: the graph file for a dtype, relative to the model folder. */
export function onnxFileName(dtype: ModelDtype): string {
  return `onnx/model${ONNX_SUFFIX[dtype]}.onnx`;
}

/** Weights of graphs over 2 GB live beside the graph in `{graph}_data` (onnxruntime finds them by that name). */
export function onnxExternalDataName(dtype: ModelDtype): string {
  return `${onnxFileName(dtype)}_data`;
}
