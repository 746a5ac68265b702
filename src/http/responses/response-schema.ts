import { Type, type Static } from "@sinclair/typebox";
import { ConversationItemSchema, OutputItemSchema } from "./response-items-schema.ts";

/**
 * The Response object as this server sends it: every field openai-node's `Response` type requires, and the
 * optional ones OpenAI fills, with the values that are true of a local server (no hosted tools, no reasoning,
 * no prompt cache, one service tier). No other property is allowed, so a field a handler adds without its
 * schema fails test/http/response-schemas.test.ts.
 */

export const ResponseUsageSchema = Type.Object(
  {
    /** The prompt's tokens as the engine counted them (instructions, earlier turns and this input). */
    input_tokens: Type.Integer(),
    /** Nothing is served from a prompt cache: always 0. */
    input_tokens_details: Type.Object({ cached_tokens: Type.Integer(), cache_write_tokens: Type.Integer() }, { additionalProperties: false }),
    output_tokens: Type.Integer(),
    /** No reasoning models: always 0. */
    output_tokens_details: Type.Object({ reasoning_tokens: Type.Integer() }, { additionalProperties: false }),
    total_tokens: Type.Integer(),
  },
  { additionalProperties: false },
);
export type ResponseUsage = Static<typeof ResponseUsageSchema>;

/** Why a response failed after it started (a failure before it starts is an HTTP error instead). */
export const ResponseErrorSchema = Type.Object(
  {
    /** openai-node's ResponseError codes admit only these of ours. */
    code: Type.Union([Type.Literal("server_error"), Type.Literal("rate_limit_exceeded")]),
    message: Type.String(),
  },
  { additionalProperties: false },
);
export type ResponseError = Static<typeof ResponseErrorSchema>;

export const RESPONSE_STATUSES = ["in_progress", "completed", "incomplete", "failed"] as const;
export type ResponseStatus = (typeof RESPONSE_STATUSES)[number];

/** `text.format` as the response echoes it: plain text, any JSON object, or JSON matching a named schema. */
export const TextFormatSchema = Type.Union([
  Type.Object({ type: Type.Literal("text") }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal("json_object") }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal("json_schema"),
      name: Type.String(),
      schema: Type.Record(Type.String(), Type.Unknown()),
      /** As the request gave it (null when it did not); every schema this server accepts is enforced. */
      strict: Type.Union([Type.Boolean(), Type.Null()]),
      description: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
]);

/** A function tool as the request declared it. */
export const FunctionToolSchema = Type.Object(
  {
    type: Type.Literal("function"),
    name: Type.String(),
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    parameters: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    strict: Type.Union([Type.Boolean(), Type.Null()]),
  },
  { additionalProperties: false },
);

export const ToolChoiceSchema = Type.Union([
  Type.Literal("none"),
  Type.Literal("auto"),
  Type.Literal("required"),
  Type.Object({ type: Type.Literal("function"), name: Type.String() }, { additionalProperties: false }),
]);

const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableInteger = Type.Union([Type.Integer(), Type.Null()]);

export const ResponseObjectSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("response"),
    /** Unix seconds. */
    created_at: Type.Integer(),
    status: Type.Union(RESPONSE_STATUSES.map((s) => Type.Literal(s))),
    /** Set when status is failed. */
    error: Type.Union([ResponseErrorSchema, Type.Null()]),
    /** Set when status is incomplete: the output hit max_output_tokens (or the end of the context). */
    incomplete_details: Type.Union([Type.Object({ reason: Type.Literal("max_output_tokens") }, { additionalProperties: false }), Type.Null()]),
    /** As the request gave them; never carried over by previous_response_id. */
    instructions: NullableString,
    metadata: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
    /** The model id as the request named it. */
    model: Type.String(),
    output: Type.Array(OutputItemSchema),
    /** The output's text parts joined (openai-node's convenience field, filled so retrieved objects carry it too). */
    output_text: Type.String(),
    parallel_tool_calls: Type.Boolean(),
    temperature: Type.Union([Type.Number(), Type.Null()]),
    tool_choice: ToolChoiceSchema,
    tools: Type.Array(FunctionToolSchema),
    top_p: Type.Union([Type.Number(), Type.Null()]),
    /** Hosted access programs do not exist here. */
    access_programs: Type.Null(),
    background: Type.Boolean(),
    /** Unix seconds, once status is completed. */
    completed_at: NullableInteger,
    max_output_tokens: NullableInteger,
    max_tool_calls: NullableInteger,
    previous_response_id: NullableString,
    prompt_cache_key: NullableString,
    reasoning: Type.Object({ effort: Type.Null(), summary: Type.Null() }, { additionalProperties: false }),
    safety_identifier: NullableString,
    service_tier: Type.Literal("default"),
    text: Type.Object(
      { format: TextFormatSchema, verbosity: Type.Union([Type.Literal("low"), Type.Literal("medium"), Type.Literal("high")]) },
      { additionalProperties: false },
    ),
    top_logprobs: Type.Integer(),
    truncation: Type.Literal("disabled"),
    /** Absent while in progress (openai-node's type has no null here). */
    usage: Type.Optional(ResponseUsageSchema),
    user: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type ResponseObject = Static<typeof ResponseObjectSchema>;

/** DELETE /v1/responses/{id}. */
export const ResponseDeletedSchema = Type.Object(
  { id: Type.String(), object: Type.Literal("response"), deleted: Type.Literal(true) },
  { additionalProperties: false },
);
export type ResponseDeleted = Static<typeof ResponseDeletedSchema>;

/** GET /v1/responses/{id}/input_items: a cursor page of the items the response was given. */
export const InputItemListSchema = Type.Object(
  {
    object: Type.Literal("list"),
    data: Type.Array(ConversationItemSchema),
    first_id: NullableString,
    last_id: NullableString,
    has_more: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type InputItemList = Static<typeof InputItemListSchema>;
