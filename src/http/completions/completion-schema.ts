import { Type, type Static } from "@sinclair/typebox";
import { Nullable, SamplingFields, UsageSchema } from "../shared/common-schema.ts";
import { FinishReasonSchema } from "../shared/finish-reason.ts";

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

/** Legacy logprobs: parallel arrays, one entry per token (echoed prompt tokens first). */
export const CompletionLogprobsSchema = Type.Object(
  {
    tokens: Type.Array(Type.String()),
    /** null for the first prompt token (nothing precedes it) and when logprobs were not asked for. */
    token_logprobs: Type.Array(Type.Union([Type.Number(), Type.Null()])),
    /** Token text → logprob of the top alternatives (the chosen token included). */
    top_logprobs: Type.Array(Type.Union([Type.Record(Type.String(), Type.Number()), Type.Null()])),
    /** Where each token's text starts in the choice's text. */
    text_offset: Type.Array(Type.Integer()),
  },
  { additionalProperties: false },
);
export type CompletionLogprobs = Static<typeof CompletionLogprobsSchema>;

export const CompletionChoiceSchema = Type.Object(
  {
    /** prompt index × n + choice: choices of one prompt are contiguous. */
    index: Type.Integer(),
    text: Type.String(),
    logprobs: Type.Union([CompletionLogprobsSchema, Type.Null()]),
    finish_reason: FinishReasonSchema,
  },
  { additionalProperties: false },
);
export type CompletionChoice = Static<typeof CompletionChoiceSchema>;

/** The response and, with finish_reason null until a choice ends, each streamed chunk. */
export const CompletionResponseSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("text_completion"),
    /** Unix seconds. */
    created: Type.Integer(),
    /** The model id as the request named it. */
    model: Type.String(),
    choices: Type.Array(CompletionChoiceSchema),
    /** Always in a collected answer; in a stream only with include_usage (null on every chunk but the last). */
    usage: Type.Optional(Type.Union([UsageSchema, Type.Null()])),
  },
  { additionalProperties: false },
);
export type CompletionResponse = Static<typeof CompletionResponseSchema>;
