import { Type, type Static } from "@sinclair/typebox";

/**
 * What a model's author says about it (GET /v1/models/{id} shows it beside what the server measures itself):
 * free text as the author states it, and where each fact comes from.
 */
export const ModelMetadataSchema = Type.Object(
  {
    description: Type.Optional(Type.String()),
    /** As the author states it ("125M"); the server's own count of the loaded graph is reported separately. */
    parameter_count: Type.Optional(Type.String()),
    training_datasets: Type.Optional(Type.String()),
    training_tokens: Type.Optional(Type.String()),
    training_steps: Type.Optional(Type.String()),
    evaluation: Type.Optional(Type.String()),
    notes: Type.Optional(Type.String()),
    /** Where these facts come from (model cards, READMEs). */
    sources: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);
export type ModelMetadata = Static<typeof ModelMetadataSchema>;

/**
 * What `dtype` means, one rule for the whole server: for an ONNX export it picks the graph file (model.onnx,
 * model_quantized.onnx, …); for a checkpoint or GGUF file it is the compute precision of the graph the server
 * builds (fp32 on CPU today; q8 / q4 come with quantized graphs).
 */
export const MODEL_DTYPES = ["fp32", "fp16", "q8", "int8", "uint8", "q4", "q4f16", "bnb4"] as const;
export type ModelDtype = (typeof MODEL_DTYPES)[number];

/** The original server's torch dtype names: accepted, and all mean fp32 compute on CPU (the stored precision is read from the file). */
export const TORCH_DTYPE_NAMES = ["float32", "float16", "bfloat16"] as const;

export function modelDtype(dtype: ModelDtype | (typeof TORCH_DTYPE_NAMES)[number] | undefined): ModelDtype {
  if (dtype === undefined || (TORCH_DTYPE_NAMES as readonly string[]).includes(dtype)) return "fp32";
  return dtype as ModelDtype;
}

/** One model as the registry file writes it (snake_case, as the original server took). */
export const RegistryEntrySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 256 }),
    /** owner/name, or owner/name:QUANT to serve the repo's GGUF file of that quantization (e.g. :Q4_K_M). */
    hf_repo: Type.Optional(Type.String({ minLength: 1 })),
    /** With hf_repo: the GGUF file of the repo to serve (any shard of a split model names all of it). */
    file: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    path: Type.Optional(Type.String({ minLength: 1 })),
    revision: Type.Optional(Type.String({ minLength: 1 })),
    dtype: Type.Optional(Type.Union([...MODEL_DTYPES, ...TORCH_DTYPE_NAMES].map((d) => Type.Literal(d)))),
    device: Type.Optional(Type.Union([Type.Literal("auto"), Type.Literal("cpu"), Type.Literal("cuda")])),
    max_context_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
    task: Type.Optional(Type.Union([Type.Literal("text-generation"), Type.Literal("embeddings")])),
    chat_template: Type.Optional(Type.String({ minLength: 1 })),
    tiktoken_encoding: Type.Optional(Type.String({ minLength: 1 })),
    model_type: Type.Optional(Type.String({ minLength: 1 })),
    pooling: Type.Optional(Type.Union([Type.Literal("mean"), Type.Literal("cls")])),
    normalize: Type.Optional(Type.Boolean()),
    owned_by: Type.Optional(Type.String()),
    /** Shorthand for `metadata.description`. */
    description: Type.Optional(Type.String()),
    metadata: Type.Optional(ModelMetadataSchema),
  },
  { additionalProperties: false },
);
export type RegistryEntryInput = Static<typeof RegistryEntrySchema>;

export type ModelTask = "text-generation" | "embeddings";
export type DeviceRequest = "auto" | "cpu" | "cuda";

/** Which GGUF model of a hub repo to serve: a named file, or the one file (or split set) of a quantization. */
export type GgufSelection = { file: string } | { quant: string };

/** A registry entry with every default applied and local paths made absolute. */
export interface ModelSpec {
  id: string;
  /** A local `path` is a model folder or a .gguf file; a hub repo with `gguf` set serves that GGUF model. */
  source: { kind: "hub"; repo: string; revision: string; gguf?: GgufSelection } | { kind: "local"; path: string };
  dtype: ModelDtype;
  /** The entry named its dtype; without one a GGUF file is built at its own precision (else fp32). */
  dtypeGiven: boolean;
  device: DeviceRequest;
  /** From the entry only; the model config and the server default are applied at load. */
  maxContextTokens: number | null;
  task: ModelTask;
  chatTemplate: string | null;
  tiktokenEncoding: string | null;
  modelType: string | null;
  pooling: "mean" | "cls";
  normalize: boolean;
  ownedBy: string;
  builtin: boolean;
  /** The author's facts about the model, null when the entry gives none. */
  metadata: ModelMetadata | null;
}
