import { Type, type Static } from "@sinclair/typebox";
import { Nullable } from "../shared/common-schema.ts";

/** POST /tokenize, as vLLM takes it: a prompt (or `text`, as llama-server names it), or chat messages. */
export const TokenizeRequestSchema = Type.Object({
  model: Type.String({ minLength: 1, maxLength: 256 }),
  prompt: Nullable(Type.String()),
  text: Nullable(Type.String()),
  messages: Nullable(Type.Array(Type.Unknown())),
  /** Chat form only: the tools (and tool_choice) a chat request would offer, rendered as it renders them. */
  tools: Nullable(Type.Array(Type.Unknown())),
  tool_choice: Nullable(Type.Unknown()),
  /** Add the model's BOS/CLS-style tokens to a prompt (default true, as a completion prompt gets them). */
  add_special_tokens: Nullable(Type.Boolean()),
  /** Chat form only: end with the assistant's turn opening, as a chat request does (default true). */
  add_generation_prompt: Nullable(Type.Boolean()),
  /** Also return each token's text. */
  return_token_strs: Nullable(Type.Boolean()),
});
export type TokenizeRequest = Static<typeof TokenizeRequestSchema>;

export const TokenizeResponseSchema = Type.Object(
  {
    tokens: Type.Array(Type.Integer()),
    /** Equals the prompt_tokens of the matching completion or chat request. */
    count: Type.Integer(),
    max_model_len: Type.Integer(),
    token_strs: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);
export type TokenizeResponse = Static<typeof TokenizeResponseSchema>;

/** POST /detokenize: token ids back to text. */
export const DetokenizeRequestSchema = Type.Object({
  model: Type.String({ minLength: 1, maxLength: 256 }),
  tokens: Type.Array(Type.Integer()),
});
export type DetokenizeRequest = Static<typeof DetokenizeRequestSchema>;

export const DetokenizeResponseSchema = Type.Object({ prompt: Type.String() }, { additionalProperties: false });
export type DetokenizeResponse = Static<typeof DetokenizeResponseSchema>;
