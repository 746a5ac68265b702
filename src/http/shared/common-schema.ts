import { Type, type TSchema } from "@sinclair/typebox";

/** `T | null`, optional: the OpenAI SDKs send explicit nulls for unset parameters. */
export const Nullable = <T extends TSchema>(s: T) => Type.Optional(Type.Union([s, Type.Null()]));

/** Parameters shared by /v1/completions and /v1/chat/completions, with the common vLLM/llama-server extensions. */
export const SamplingFields = {
  model: Type.String({ minLength: 1, maxLength: 256 }),
  temperature: Nullable(Type.Number({ minimum: 0, maximum: 2 })),
  top_p: Nullable(Type.Number({ minimum: 0, maximum: 1 })),
  n: Nullable(Type.Integer({ minimum: 1 })),
  stop: Nullable(Type.Union([Type.String(), Type.Array(Type.String())])),
  seed: Nullable(Type.Integer({ minimum: -(2 ** 53), maximum: 2 ** 53 })),
  presence_penalty: Nullable(Type.Number({ minimum: -2, maximum: 2 })),
  frequency_penalty: Nullable(Type.Number({ minimum: -2, maximum: 2 })),
  logit_bias: Nullable(Type.Record(Type.String(), Type.Number({ minimum: -100, maximum: 100 }))),
  user: Nullable(Type.String()),
  stream: Nullable(Type.Boolean()),
  stream_options: Nullable(Type.Object({ include_usage: Nullable(Type.Boolean()) })),
  top_k: Nullable(Type.Integer({ minimum: -1 })),
  min_p: Nullable(Type.Number({ minimum: 0, maximum: 1 })),
  repetition_penalty: Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 10 })),
  ignore_eos: Nullable(Type.Boolean()),
};

/** Counted with the model's own tokenizer; completion tokens include best_of candidates not returned. */
export const UsageSchema = Type.Object(
  {
    prompt_tokens: Type.Integer(),
    completion_tokens: Type.Integer(),
    total_tokens: Type.Integer(),
  },
  { additionalProperties: false },
);
