import type { ModelMetadata, RegistryEntryInput } from "./registry-entry.ts";

/** The original server's built-in registry: the metadata below restates its facts, in our words. */
const ORIGINAL_REGISTRY = "https://github.com/krll-corp/gpt3dev-api/blob/main/app/core/model_registry.py";
/** The author's training repository, which the original cites for every GPT3-dev checkpoint. */
const GPT3_REPO = "https://github.com/krll-corp/GPT3";

/** Facts about one k050506koch checkpoint, with the original registry, the model card and the repo as sources. */
function gpt3dev(name: string, facts: Omit<ModelMetadata, "sources">): RegistryEntryInput {
  const hf_repo = `k050506koch/${name}`;
  return {
    name,
    hf_repo,
    owned_by: "k050506koch",
    metadata: { ...facts, sources: [ORIGINAL_REGISTRY, `https://huggingface.co/${hf_repo}`, GPT3_REPO] },
  };
}

/**
 * The seed server's model ids. The GPT3-dev repos hold checkpoints (config.json with model_type gpt3dev and its
 * weights), which the server builds into a graph on first use; their own config says v1 or v2. `GPT-2` points at
 * a ready ONNX export. Every GPT3-dev fact is author reported, as the original server gives it.
 */
export const BUILTIN_MODELS: RegistryEntryInput[] = [
  gpt3dev("GPT3-dev-350m-2805", {
    description: "350M-parameter GPT-3-style checkpoint of 2025-05-28.",
    parameter_count: "350M",
    training_datasets: "HuggingFaceFW/fineweb",
    training_steps: "10,000 steps, sequence length 512, batch size 192, Lion optimizer",
    evaluation: "28.55% MMLU (author reported)",
    notes: "Custom GPT-3 architecture (trust_remote_code in transformers).",
  }),
  gpt3dev("GPT3-dev-125m-0104", {
    description: "Fourth 125M checkpoint of the GPT3-dev series, of 2025-01-04.",
    parameter_count: "125M",
    training_datasets: "HuggingFaceFW/fineweb",
    training_steps: "65,000 steps, sequence length 512, batch size 12, gradient accumulation 4, Lion optimizer",
    evaluation: "28.65% MMLU (author reported)",
    notes: "Same custom GPT-3-style architecture; the repository README gives its prompt template.",
  }),
  gpt3dev("GPT3-dev-125m-1202", {
    description: "Third 125M checkpoint of the GPT3-dev series, trained with the Lion optimizer.",
    parameter_count: "125M",
    training_datasets: "HuggingFaceFW/fineweb",
    training_steps: "36,500 steps, sequence length 512, batch size 12, gradient accumulation 4, Lion optimizer",
    evaluation: "28.03% MMLU (author reported; an earlier README of the GPT3 repository gives 27.31%)",
    notes: "Custom architecture (trust_remote_code); the base of later instruction-tuned releases.",
  }),
  gpt3dev("GPT3-dev-125m-0612", {
    description: "125M checkpoint of 2024-06-12, trained longer with gradient accumulation.",
    parameter_count: "125M",
    training_datasets: "HuggingFaceFW/fineweb",
    training_steps: "600,000 steps, sequence length 512, batch size 12, gradient accumulation 4",
    evaluation: "27.65% MMLU (author reported)",
    notes: "Custom GPT-3-style architecture; the repository also carries GGUF exports beside the Transformers weights.",
  }),
  gpt3dev("GPT3-dev", {
    description: "17M-parameter architecture demonstrator of the GPT3-dev project.",
    parameter_count: "17M",
    training_datasets: "HuggingFaceFW/fineweb",
    notes: "An early experimental checkpoint that shows the custom GPT-3-style stack.",
  }),
  gpt3dev("GPT3-dev-125m", {
    description: "Early 125M GPT3-dev checkpoint, trained on about 3.6B tokens.",
    parameter_count: "125M",
    training_datasets: "HuggingFaceFW/fineweb",
    training_tokens: "about 3.6B tokens",
    notes: "A technology demonstrator that preceded the longer 2024-2025 training runs.",
  }),
  { name: "GPT-2", hf_repo: "Xenova/gpt2", tiktoken_encoding: "gpt2", owned_by: "Xenova" },
];
