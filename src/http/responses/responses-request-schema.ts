import { Type, type Static } from "@sinclair/typebox";
import { Nullable, SamplingFields } from "../shared/common-schema.ts";

/** The `include` values openai-node knows; only message.output_text.logprobs changes what a local model returns. */
export const RESPONSE_INCLUDABLES = [
  "message.output_text.logprobs",
  "reasoning.encrypted_content",
  "file_search_call.results",
  "web_search_call.results",
  "web_search_call.action.sources",
  "message.input_image.image_url",
  "computer_call_output.output.image_url",
  "code_interpreter_call.outputs",
] as const;

/**
 * POST /v1/responses, as openai-node's ResponseCreateParams has it plus the sampling extensions chat takes.
 * `input` items, `tools` and `text.format` are checked precisely by the handler, so errors can name
 * `input[2].content[0].text`; parameters for hosted features are named here only to be refused by name.
 */
export const ResponsesRequestSchema = Type.Object({
  model: SamplingFields.model,
  /** A prompt string, or conversation items (response-input.ts). */
  input: Type.Union([Type.String(), Type.Array(Type.Unknown())]),
  /** A system message ahead of the conversation; not carried over by previous_response_id. */
  instructions: Nullable(Type.String()),
  max_output_tokens: Nullable(Type.Integer({ minimum: 1 })),
  temperature: SamplingFields.temperature,
  top_p: SamplingFields.top_p,
  top_logprobs: Nullable(Type.Integer({ minimum: 0, maximum: 20 })),
  include: Nullable(Type.Array(Type.Union(RESPONSE_INCLUDABLES.map((v) => Type.Literal(v))))),
  stream: Nullable(Type.Boolean()),
  /** Obfuscation pads deltas against side channels of hosted streams; accepted, nothing to pad here. */
  stream_options: Nullable(Type.Object({ include_obfuscation: Nullable(Type.Boolean()) })),
  /** Keep the response for GET and previous_response_id (default true). */
  store: Nullable(Type.Boolean()),
  /** Up to 16 string pairs, checked in the handler (key ≤ 64, value ≤ 512 characters). */
  metadata: Nullable(Type.Record(Type.String(), Type.String())),
  previous_response_id: Nullable(Type.String({ minLength: 1 })),
  text: Nullable(
    Type.Object({
      format: Nullable(Type.Object({ type: Type.String() })),
      verbosity: Nullable(Type.Union([Type.Literal("low"), Type.Literal("medium"), Type.Literal("high")])),
    }),
  ),
  tools: Nullable(Type.Array(Type.Unknown())),
  tool_choice: Nullable(Type.Unknown()),
  parallel_tool_calls: Nullable(Type.Boolean()),
  max_tool_calls: Nullable(Type.Integer({ minimum: 1 })),
  reasoning: Nullable(Type.Object({ effort: Nullable(Type.String()), summary: Nullable(Type.String()) })),
  truncation: Nullable(Type.Union([Type.Literal("auto"), Type.Literal("disabled")])),
  background: Nullable(Type.Boolean()),
  conversation: Nullable(Type.Unknown()),
  prompt: Nullable(Type.Unknown()),
  service_tier: Nullable(Type.String()),
  user: Nullable(Type.String()),
  safety_identifier: Nullable(Type.String()),
  prompt_cache_key: Nullable(Type.String()),
  // The extensions /v1/chat/completions takes too.
  top_k: SamplingFields.top_k,
  min_p: SamplingFields.min_p,
  repetition_penalty: SamplingFields.repetition_penalty,
  presence_penalty: SamplingFields.presence_penalty,
  frequency_penalty: SamplingFields.frequency_penalty,
  logit_bias: SamplingFields.logit_bias,
  seed: SamplingFields.seed,
  ignore_eos: SamplingFields.ignore_eos,
});
export type ResponsesRequest = Static<typeof ResponsesRequestSchema>;
