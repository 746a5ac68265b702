import { Type, type Static } from "@sinclair/typebox";
import { Nullable, SamplingFields, UsageSchema } from "../shared/common-schema.ts";

const TokenIds = Type.Array(Type.Integer());

/** POST /v1/completions request, as the OpenAI API defines it plus the common extensions. */
export const CompletionRequestSchema = Type.Object({
  ...SamplingFields,
  prompt: Type.Union([Type.String(), Type.Array(Type.String()), TokenIds, Type.Array(TokenIds)]),
  max_tokens: Nullable(Type.Integer({ minimum: 0 })),
  best_of: Nullable(Type.Integer({ minimum: 1 })),
  echo: Nullable(Type.Boolean()),
  logprobs: Nullable(Type.Integer({ minimum: 0, maximum: 5 })),
  suffix: Nullable(Type.String()),
});
export type CompletionRequest = Static<typeof CompletionRequestSchema>;

export const CompletionLogprobsSchema = Type.Object({
  tokens: Type.Array(Type.String()),
  token_logprobs: Type.Array(Type.Union([Type.Number(), Type.Null()])),
  top_logprobs: Type.Array(Type.Union([Type.Record(Type.String(), Type.Number()), Type.Null()])),
  text_offset: Type.Array(Type.Integer()),
});
export type CompletionLogprobs = Static<typeof CompletionLogprobsSchema>;

export const CompletionChoiceSchema = Type.Object({
  index: Type.Integer(),
  text: Type.String(),
  logprobs: Type.Union([CompletionLogprobsSchema, Type.Null()]),
  finish_reason: Type.Union([Type.Literal("stop"), Type.Literal("length"), Type.Null()]),
});
export type CompletionChoice = Static<typeof CompletionChoiceSchema>;

/** The response and, with finish_reason null until a choice ends, each streamed chunk. */
export const CompletionResponseSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal("text_completion"),
  created: Type.Integer(),
  model: Type.String(),
  system_fingerprint: Type.Optional(Type.String()),
  choices: Type.Array(CompletionChoiceSchema),
  usage: Type.Optional(Type.Union([UsageSchema, Type.Null()])),
});
export type CompletionResponse = Static<typeof CompletionResponseSchema>;
