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

export const EmbeddingResponseSchema = Type.Object(
  {
    object: Type.Literal("list"),
    data: Type.Array(
      Type.Object(
        {
          object: Type.Literal("embedding"),
          index: Type.Integer(),
          /** Floats, or with encoding_format base64 their little-endian float32 bytes in base64. */
          embedding: Type.Union([Type.Array(Type.Number()), Type.String()]),
        },
        { additionalProperties: false },
      ),
    ),
    model: Type.String(),
    usage: Type.Object({ prompt_tokens: Type.Integer(), total_tokens: Type.Integer() }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export type EmbeddingResponse = Static<typeof EmbeddingResponseSchema>;
