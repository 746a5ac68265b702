import { Type, type Static } from "@sinclair/typebox";
import { ModelMetadataSchema } from "../../registry/registry-entry.ts";

/** GET /v1/models/{id}: OpenAI's Model object plus what this server knows about the entry. */
export const ModelObjectSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("model"),
    /** Registry entries have no date: the server's start time, stable for its lifetime. */
    created: Type.Integer(),
    /** The owner of the hub repo it comes from ("local" for a path). */
    owned_by: Type.String(),
  },
  { additionalProperties: false },
);
export type ModelObject = Static<typeof ModelObjectSchema>;

export const ModelDetailSchema = Type.Composite([
  ModelObjectSchema,
  Type.Object({
    source: Type.Object({
      hf_repo: Type.Optional(Type.String()),
      revision: Type.Optional(Type.String()),
      path: Type.Optional(Type.String()),
      /** A GGUF model of the repo: the file named, or the quantization asked for. */
      file: Type.Optional(Type.String()),
      quantization: Type.Optional(Type.String()),
    }),
    task: Type.String(),
    capabilities: Type.Array(Type.Union([Type.Literal("completion"), Type.Literal("chat"), Type.Literal("embeddings")])),
    max_model_len: Type.Union([Type.Integer(), Type.Null()]),
    dtype: Type.String(),
    device: Type.String(),
    loaded: Type.Boolean(),
    state: Type.String(),
    download: Type.Optional(Type.Object({ file: Type.String(), loaded_bytes: Type.Integer(), total_bytes: Type.Union([Type.Integer(), Type.Null()]), percent: Type.Union([Type.Number(), Type.Null()]) })),
    /** While `state` is "building": how far writing the graph's weights has come. */
    build_progress: Type.Optional(
      Type.Object({ tensors_done: Type.Integer(), tensors_total: Type.Integer(), bytes_done: Type.Integer(), bytes_total: Type.Integer(), percent: Type.Union([Type.Number(), Type.Null()]) }),
    ),
    error: Type.Optional(Type.String()),
    /** What the model's author states (the registry entry's `metadata`); the fields above are the server's own. */
    metadata: Type.Union([ModelMetadataSchema, Type.Null()]),
    /** What the model is, once its files have been seen: onnx (an export, run as published) or the weights a graph was built from. */
    format: Type.Optional(Type.Union([Type.Literal("onnx"), Type.Literal("safetensors"), Type.Literal("pytorch"), Type.Literal("gguf")])),
    architecture: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    parameters: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    /** Built graphs: the precision they compute in and the memory their weights take running. */
    build: Type.Optional(Type.Object({ dtype: Type.String(), weight_bytes: Type.Integer(), seconds: Type.Number(), built_at: Type.String() })),
    /**
     * GGUF models: the files, their quantization (general.file_type, e.g. Q4_K_M), the precision class, how many
     * tensors of each type, and what the weights take on disk and would take as float32 (build.weight_bytes is what
     * they take running).
     */
    gguf: Type.Optional(
      Type.Object({
        files: Type.Array(Type.String()),
        file_type: Type.Union([Type.String(), Type.Null()]),
        precision: Type.String(),
        tensor_types: Type.Record(Type.String(), Type.Integer()),
        stored_bytes: Type.Integer(),
        float32_bytes: Type.Integer(),
      }),
    ),
  }),
], { additionalProperties: false });
export type ModelDetail = Static<typeof ModelDetailSchema>;

export const ModelListSchema = Type.Object({ object: Type.Literal("list"), data: Type.Array(ModelObjectSchema) }, { additionalProperties: false });
export type ModelList = Static<typeof ModelListSchema>;
