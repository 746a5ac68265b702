import type { RegistryEntryInput } from "./registry-entry.ts";

/**
 * The seed server's model ids. The GPT3-dev repos hold checkpoints (config.json with model_type gpt3dev and its
 * weights), which the server builds into a graph on first use; their own config says v1 or v2. `GPT-2` points at
 * a ready ONNX export.
 */
export const BUILTIN_MODELS: RegistryEntryInput[] = [
  { name: "GPT3-dev-350m-2805", hf_repo: "k050506koch/GPT3-dev-350m-2805", owned_by: "k050506koch" },
  { name: "GPT3-dev-125m-0104", hf_repo: "k050506koch/GPT3-dev-125m-0104", owned_by: "k050506koch" },
  { name: "GPT3-dev-125m-1202", hf_repo: "k050506koch/GPT3-dev-125m-1202", owned_by: "k050506koch" },
  { name: "GPT3-dev-125m-0612", hf_repo: "k050506koch/GPT3-dev-125m-0612", owned_by: "k050506koch" },
  { name: "GPT3-dev", hf_repo: "k050506koch/GPT3-dev", owned_by: "k050506koch" },
  { name: "GPT3-dev-125m", hf_repo: "k050506koch/GPT3-dev-125m", owned_by: "k050506koch" },
  { name: "GPT-2", hf_repo: "Xenova/gpt2", tiktoken_encoding: "gpt2", owned_by: "Xenova" },
];
