import { Type, type Static } from "@sinclair/typebox";

/**
 * The items of a conversation as the Responses API writes them (openai-node's ResponseInputMessageItem,
 * ResponseOutputMessage, ResponseFunctionToolCallItem, ResponseFunctionToolCallOutputItem): what `output` holds,
 * what GET /v1/responses/{id}/input_items lists, and what a stored conversation keeps for previous_response_id.
 */

const TopLogprobSchema = Type.Object(
  { token: Type.String(), bytes: Type.Array(Type.Integer()), logprob: Type.Number() },
  { additionalProperties: false },
);

/** One generated token of an output_text part (include: ["message.output_text.logprobs"]). */
export const OutputLogprobSchema = Type.Composite([TopLogprobSchema, Type.Object({ top_logprobs: Type.Array(TopLogprobSchema) })], { additionalProperties: false });
export type OutputLogprob = Static<typeof OutputLogprobSchema>;

export const InputTextPartSchema = Type.Object({ type: Type.Literal("input_text"), text: Type.String() }, { additionalProperties: false });

export const OutputTextPartSchema = Type.Object(
  {
    type: Type.Literal("output_text"),
    text: Type.String(),
    /** Citations; a local model makes none. */
    annotations: Type.Array(Type.Never()),
    /** Only when the request included message.output_text.logprobs. */
    logprobs: Type.Optional(Type.Array(OutputLogprobSchema)),
  },
  { additionalProperties: false },
);
export type OutputTextPart = Static<typeof OutputTextPartSchema>;

const ItemStatus = Type.Union([Type.Literal("in_progress"), Type.Literal("completed"), Type.Literal("incomplete")]);

/** A user, system or developer turn. */
export const InputMessageItemSchema = Type.Object(
  {
    type: Type.Literal("message"),
    id: Type.String(),
    role: Type.Union([Type.Literal("user"), Type.Literal("system"), Type.Literal("developer")]),
    status: ItemStatus,
    content: Type.Array(InputTextPartSchema),
  },
  { additionalProperties: false },
);
export type InputMessageItem = Static<typeof InputMessageItemSchema>;

/** An assistant turn: the model's output, or an earlier one the client sends back. */
export const OutputMessageItemSchema = Type.Object(
  {
    type: Type.Literal("message"),
    id: Type.String(),
    role: Type.Literal("assistant"),
    status: ItemStatus,
    content: Type.Array(OutputTextPartSchema),
  },
  { additionalProperties: false },
);
export type OutputMessageItem = Static<typeof OutputMessageItemSchema>;

/** A call of one of the request's function tools; `arguments` is the JSON text the model wrote. */
export const FunctionCallItemSchema = Type.Object(
  {
    type: Type.Literal("function_call"),
    id: Type.String(),
    call_id: Type.String(),
    name: Type.String(),
    arguments: Type.String(),
    status: ItemStatus,
  },
  { additionalProperties: false },
);
export type FunctionCallItem = Static<typeof FunctionCallItemSchema>;

/** The client's result of a function call. */
export const FunctionCallOutputItemSchema = Type.Object(
  {
    type: Type.Literal("function_call_output"),
    id: Type.String(),
    call_id: Type.String(),
    output: Type.String(),
    status: ItemStatus,
  },
  { additionalProperties: false },
);
export type FunctionCallOutputItem = Static<typeof FunctionCallOutputItemSchema>;

/** What a response's `output` holds. */
export const OutputItemSchema = Type.Union([OutputMessageItemSchema, FunctionCallItemSchema]);
export type OutputItem = Static<typeof OutputItemSchema>;

/** Any item of a conversation: the input items a request gave, and the output items of earlier turns. */
export const ConversationItemSchema = Type.Union([InputMessageItemSchema, OutputMessageItemSchema, FunctionCallItemSchema, FunctionCallOutputItemSchema]);
export type ConversationItem = Static<typeof ConversationItemSchema>;
