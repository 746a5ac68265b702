import { Type, type Static } from "@sinclair/typebox";

/** One model as the registry file writes it (snake_case, as the original server took). */
export const RegistryEntrySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 256 }),
    hf_repo: Type.Optional(Type.String({ minLength: 1 })),
    path: Type.Optional(Type.String({ minLength: 1 })),
    revision: Type.Optional(Type.String({ minLength: 1 })),
    dtype: Type.Optional(
      Type.Union(["fp32", "fp16", "q8", "int8", "uint8", "q4", "q4f16", "bnb4"].map((d) => Type.Literal(d))),
    ),
    device: Type.Optional(Type.Union([Type.Literal("auto"), Type.Literal("cpu"), Type.Literal("cuda")])),
    max_context_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
    task: Type.Optional(Type.Union([Type.Literal("text-generation"), Type.Literal("embeddings")])),
    chat_template: Type.Optional(Type.String({ minLength: 1 })),
    tiktoken_encoding: Type.Optional(Type.String({ minLength: 1 })),
    model_type: Type.Optional(Type.String({ minLength: 1 })),
    pooling: Type.Optional(Type.Union([Type.Literal("mean"), Type.Literal("cls")])),
    normalize: Type.Optional(Type.Boolean()),
    owned_by: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type RegistryEntryInput = Static<typeof RegistryEntrySchema>;

export type ModelDtype = NonNullable<RegistryEntryInput["dtype"]>;
export type ModelTask = "text-generation" | "embeddings";
export type DeviceRequest = "auto" | "cpu" | "cuda";

/** A registry entry with every default applied and local paths made absolute. */
export interface ModelSpec {
  id: string;
  source: { kind: "hub"; repo: string; revision: string } | { kind: "local"; path: string };
  dtype: ModelDtype;
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
}
