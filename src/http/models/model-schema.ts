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
    source: Type.Object({ hf_repo: Type.Optional(Type.String()), revision: Type.Optional(Type.String()), path: Type.Optional(Type.String()) }),
    task: Type.String(),
    capabilities: Type.Array(Type.Union([Type.Literal("completion"), Type.Literal("chat"), Type.Literal("embeddings")])),
    max_model_len: Type.Union([Type.Integer(), Type.Null()]),
    dtype: Type.String(),
    device: Type.String(),
    loaded: Type.Boolean(),
    state: Type.String(),
    download: Type.Optional(Type.Object({ file: Type.String(), loaded_bytes: Type.Integer(), total_bytes: Type.Union([Type.Integer(), Type.Null()]), percent: Type.Union([Type.Number(), Type.Null()]) })),
    error: Type.Optional(Type.String()),
    /** What the model's author states (the registry entry's `metadata`); the fields above are the server's own. */
    metadata: Type.Union([ModelMetadataSchema, Type.Null()]),
  }),
], { additionalProperties: false });
export type ModelDetail = Static<typeof ModelDetailSchema>;

export const ModelListSchema = Type.Object({ object: Type.Literal("list"), data: Type.Array(ModelObjectSchema) }, { additionalProperties: false });
export type ModelList = Static<typeof ModelListSchema>;
