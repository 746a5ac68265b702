import type { RegistryEntryInput } from "./registry-entry.ts";

/**
 * The seed server's model ids. The GPT3-dev checkpoints are GPT-2 variants published as PyTorch weights with a
 * custom `model_type`; the README shows how to export one to ONNX with Optimum and register the result. `GPT-2`
 * points at a ready ONNX export.
 */
export const BUILTIN_MODELS: RegistryEntryInput[] = [
  { name: "GPT3-dev-350m-2805", hf_repo: "k050506koch/GPT3-dev-350m-2805", model_type: "gpt2", owned_by: "k050506koch" },
  { name: "GPT3-dev-125m-0104", hf_repo: "k050506koch/GPT3-dev-125m-0104", model_type: "gpt2", owned_by: "k050506koch" },
  { name: "GPT3-dev-125m-1202", hf_repo: "k050506koch/GPT3-dev-125m-1202", model_type: "gpt2", owned_by: "k050506koch" },
  { name: "GPT3-dev-125m-0612", hf_repo: "k050506koch/GPT3-dev-125m-0612", model_type: "gpt2", owned_by: "k050506koch" },
  { name: "GPT3-dev", hf_repo: "k050506koch/GPT3-dev", model_type: "gpt2", owned_by: "k050506koch" },
  { name: "GPT3-dev-125m", hf_repo: "k050506koch/GPT3-dev-125m", model_type: "gpt2", owned_by: "k050506koch" },
  { name: "GPT-2", hf_repo: "Xenova/gpt2", tiktoken_encoding: "gpt2", owned_by: "Xenova" },
];
