import { Type, type Static } from "@sinclair/typebox";
import { Nullable } from "../shared/common-schema.ts";

const TokenIds = Type.Array(Type.Integer());

export const EmbeddingRequestSchema = Type.Object({
  model: Type.String({ minLength: 1, maxLength: 256 }),
  input: Type.Union([Type.String(), Type.Array(Type.String()), TokenIds, Type.Array(TokenIds)]),
  encoding_format: Nullable(Type.Union([Type.Literal("float"), Type.Literal("base64")])),
  dimensions: Nullable(Type.Integer({ minimum: 1 })),
  user: Nullable(Type.String()),
});
export type EmbeddingRequest = Static<typeof EmbeddingRequestSchema>;

export const EmbeddingResponseSchema = Type.Object({
  object: Type.Literal("list"),
  data: Type.Array(Type.Object({ object: Type.Literal("embedding"), index: Type.Integer(), embedding: Type.Union([Type.Array(Type.Number()), Type.String()]) })),
  model: Type.String(),
  usage: Type.Object({ prompt_tokens: Type.Integer(), total_tokens: Type.Integer() }),
});
export type EmbeddingResponse = Static<typeof EmbeddingResponseSchema>;
