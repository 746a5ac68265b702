import { Type, type Static } from "@sinclair/typebox";
import { Nullable, SamplingFields, UsageSchema } from "../shared/common-schema.ts";
import { FinishReasonSchema } from "../shared/finish-reason.ts";

/** The roles a request's messages may have (`developer` is rendered as `system`). */
export const CHAT_ROLES = ["system", "developer", "user", "assistant", "tool"] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

/** Message shape is checked loosely here and precisely in chat-messages.ts, so errors can name messages[i]. */
export const ChatRequestSchema = Type.Object({
  ...SamplingFields,
  messages: Type.Array(Type.Unknown()),
  max_tokens: Nullable(Type.Integer({ minimum: 0 })),
  max_completion_tokens: Nullable(Type.Integer({ minimum: 0 })),
  logprobs: Nullable(Type.Boolean()),
  top_logprobs: Nullable(Type.Integer({ minimum: 0, maximum: 20 })),
  response_format: Nullable(Type.Object({ type: Type.String() })),
  tools: Nullable(Type.Array(Type.Unknown())),
  tool_choice: Nullable(Type.Unknown()),
  /** response_format, tools and tool_choice are checked precisely in src/engine (schemas, names) so errors name the field. */
  functions: Nullable(Type.Array(Type.Unknown())),
  function_call: Nullable(Type.Unknown()),
  parallel_tool_calls: Nullable(Type.Boolean()),
});
export type ChatRequest = Static<typeof ChatRequestSchema>;

const TopLogprobSchema = Type.Object(
  { token: Type.String(), logprob: Type.Number(), bytes: Type.Union([Type.Array(Type.Integer()), Type.Null()]) },
  { additionalProperties: false },
);
export const ChatTokenLogprobSchema = Type.Composite([TopLogprobSchema, Type.Object({ top_logprobs: Type.Array(TopLogprobSchema) })], { additionalProperties: false });
export type ChatTokenLogprob = Static<typeof ChatTokenLogprobSchema>;
export const ChatLogprobsSchema = Type.Object(
  { content: Type.Union([Type.Array(ChatTokenLogprobSchema), Type.Null()]), refusal: Type.Null() },
  { additionalProperties: false },
);
export type ChatLogprobs = Static<typeof ChatLogprobsSchema>;

/** A tool call in an answer: the function the model called and its arguments as the JSON text it wrote. */
export const ToolCallSchema = Type.Object(
  {
    id: Type.String(),
    type: Type.Literal("function"),
    function: Type.Object({ name: Type.String(), arguments: Type.String() }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export type ToolCall = Static<typeof ToolCallSchema>;

/** A streamed piece of a tool call: the first carries index, id, type and name (arguments ""), the rest argument text. */
export const ToolCallDeltaSchema = Type.Object(
  {
    index: Type.Integer(),
    id: Type.Optional(Type.String()),
    type: Type.Optional(Type.Literal("function")),
    function: Type.Object({ name: Type.Optional(Type.String()), arguments: Type.String() }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export type ToolCallDelta = Static<typeof ToolCallDeltaSchema>;

/** The assistant's message: its text (null when it only called tools, as OpenAI sends it) and its calls. */
export const ChatMessageSchema = Type.Object(
  {
    role: Type.Literal("assistant"),
    content: Type.Union([Type.String(), Type.Null()]),
    refusal: Type.Null(),
    /** Only when the model called tools. */
    tool_calls: Type.Optional(Type.Array(ToolCallSchema)),
  },
  { additionalProperties: false },
);
export type ChatMessage = Static<typeof ChatMessageSchema>;

export const ChatResponseSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("chat.completion"),
    /** Unix seconds. */
    created: Type.Integer(),
    /** The model id as the request named it. */
    model: Type.String(),
    choices: Type.Array(
      Type.Object(
        {
          index: Type.Integer(),
          message: ChatMessageSchema,
          logprobs: Type.Union([ChatLogprobsSchema, Type.Null()]),
          finish_reason: FinishReasonSchema,
        },
        { additionalProperties: false },
      ),
    ),
    usage: UsageSchema,
  },
  { additionalProperties: false },
);
export type ChatResponse = Static<typeof ChatResponseSchema>;

/**
 * One streamed chunk: the first per choice carries the role (content "" — null when the request has tools, so
 * an answer that only calls tools assembles to content null), the last its finish_reason.
 */
export const ChatChunkSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("chat.completion.chunk"),
    created: Type.Integer(),
    model: Type.String(),
    choices: Type.Array(
      Type.Object(
        {
          index: Type.Integer(),
          delta: Type.Object(
            {
              role: Type.Optional(Type.Literal("assistant")),
              content: Type.Optional(Type.Union([Type.String(), Type.Null()])),
              tool_calls: Type.Optional(Type.Array(ToolCallDeltaSchema)),
            },
            { additionalProperties: false },
          ),
          logprobs: Type.Union([ChatLogprobsSchema, Type.Null()]),
          finish_reason: FinishReasonSchema,
        },
        { additionalProperties: false },
      ),
    ),
    /** Only with include_usage: null on every chunk but the last. */
    usage: Type.Optional(Type.Union([UsageSchema, Type.Null()])),
  },
  { additionalProperties: false },
);
export type ChatChunk = Static<typeof ChatChunkSchema>;
