import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { OutputItemSchema, OutputLogprobSchema, OutputTextPartSchema } from "./response-items-schema.ts";
import { ResponseObjectSchema } from "./response-schema.ts";

/**
 * The events of a streamed response (openai-node's ResponseStreamEvent members that this server sends), each
 * sent as `event: <type>` with `data: <event>`. Every event has a `sequence_number` one greater than the last.
 */

function event<T extends string, P extends Record<string, TSchema>>(type: T, fields: P) {
  return Type.Object({ type: Type.Literal(type), sequence_number: Type.Integer(), ...fields }, { additionalProperties: false });
}

/** A delta's logprobs: openai-node's ResponseTextDeltaEvent.Logprob (no bytes). */
const DeltaLogprobSchema = Type.Object(
  {
    token: Type.String(),
    logprob: Type.Number(),
    top_logprobs: Type.Array(Type.Object({ token: Type.String(), logprob: Type.Number() }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type DeltaLogprob = Static<typeof DeltaLogprobSchema>;

const lifecycle = { response: ResponseObjectSchema };
const itemEvent = { output_index: Type.Integer(), item: OutputItemSchema };
const partEvent = { item_id: Type.String(), output_index: Type.Integer(), content_index: Type.Integer(), part: OutputTextPartSchema };
const textEvent = { item_id: Type.String(), output_index: Type.Integer(), content_index: Type.Integer() };
const callEvent = { item_id: Type.String(), output_index: Type.Integer() };

export const ResponseStreamEventSchema = Type.Union([
  event("response.created", lifecycle),
  event("response.in_progress", lifecycle),
  event("response.output_item.added", itemEvent),
  event("response.content_part.added", partEvent),
  event("response.output_text.delta", { ...textEvent, delta: Type.String(), logprobs: Type.Array(DeltaLogprobSchema) }),
  event("response.output_text.done", { ...textEvent, text: Type.String(), logprobs: Type.Array(OutputLogprobSchema) }),
  event("response.content_part.done", partEvent),
  event("response.function_call_arguments.delta", { ...callEvent, delta: Type.String() }),
  event("response.function_call_arguments.done", { ...callEvent, arguments: Type.String() }),
  event("response.output_item.done", itemEvent),
  event("response.completed", lifecycle),
  event("response.incomplete", lifecycle),
  event("response.failed", lifecycle),
]);
export type ResponseStreamEvent = Static<typeof ResponseStreamEventSchema>;

/** An event before its sequence number is given (the stream numbers them as it sends them). */
export type UnnumberedEvent = ResponseStreamEvent extends infer E ? (E extends { sequence_number: number } ? Omit<E, "sequence_number"> : never) : never;
