import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelUnavailable } from "./engine-errors.ts";
import type { ModelSpec } from "../registry/registry-entry.ts";

/** Architectures whose Optimum ONNX exports this server runs (decoders) or embeds with (encoders). */
export const DECODER_MODEL_TYPES = new Set([
  "gpt2", "gptj", "gpt_neo", "gpt_neox", "codegen", "llama", "mistral", "mixtral", "qwen2", "qwen3", "phi", "phi3",
  "gemma", "gemma2", "gemma3_text", "opt", "falcon", "stablelm", "starcoder2", "olmo", "olmo2", "granite", "cohere",
  "smollm3", "exaone", "helium", "glm", "mobilellm", "lfm2",
]);
export const ENCODER_MODEL_TYPES = new Set([
  "bert", "roberta", "xlm-roberta", "distilbert", "mpnet", "nomic_bert", "modernbert", "electra", "deberta", "deberta-v2", "e5", "jina_bert",
]);

export interface ModelConfig {
  modelType: string;
  raw: Record<string, unknown>;
  /** EOS ids from config.json and generation_config.json. */
  eosTokenIds: number[];
  contextLength: number | null;
}

async function readJson(file: string): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new Error(`${file} is not valid JSON`);
  }
}

function ids(v: unknown): number[] {
  if (typeof v === "number") return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === "number");
  return [];
}

/**
 * config.json (+ generation_config.json) of a model folder. For an ONNX export its architecture is checked against
 * what the entry's task can run, and a registry `model_type` overrides the config's (an Optimum export of a
 * custom-code checkpoint such as GPT3-dev declares a type transformers.js does not know but is GPT-2 underneath).
 * A graph this server built needs no such check: the converter read the config and built what it describes.
 */
export async function readModelConfig(dir: string, spec: ModelSpec, origin: "export" | "built" = "export"): Promise<ModelConfig> {
  const raw = await readJson(join(dir, "config.json"));
  if (!raw) throw new Error(`${join(dir, "config.json")} is missing`);
  const gen = (await readJson(join(dir, "generation_config.json"))) ?? {};
  const declared = typeof raw.model_type === "string" ? raw.model_type : "";
  const modelType = origin === "built" ? declared : (spec.modelType ?? declared);
  const known = spec.task === "embeddings" ? ENCODER_MODEL_TYPES : DECODER_MODEL_TYPES;
  if (origin === "export" && !known.has(modelType)) {
    throw new ModelUnavailable(
      spec.id,
      "unsupported_model_type",
      `Model '${spec.id}' declares model_type '${declared || "(none)"}' in config.json, which this server cannot run` +
        (spec.modelType ? ` (registry model_type '${spec.modelType}' is not known either)` : "") +
        `. If the ONNX export has a known architecture, set 'model_type' in its registry entry (for example model_type: gpt2 for GPT3-dev checkpoints). Known: ${[...known].join(", ")}.`,
    );
  }
  const contextLength = [raw.n_positions, raw.max_position_embeddings, raw.n_ctx, raw.max_sequence_length, raw.seq_length]
    .find((v): v is number => typeof v === "number" && v > 0) ?? null;
  const eosTokenIds = [...new Set([...ids(gen.eos_token_id), ...ids(raw.eos_token_id)])];
  return { modelType, raw, eosTokenIds, contextLength };
}
