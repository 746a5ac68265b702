/**
 * The output half of tool calling, without a model: generation events whose text holds a Hermes-style call are
 * read by the request's accumulator with the real tool-call parser, turned into message text and a function
 * call, and the stream this server would send is read by the official SDK's own responses.stream() helper
 * through a fetch that answers with it. Every event must fit the wire schema, and the SDK must assemble the same
 * items the final response lists (a text message, then a function_call with its arguments).
 */
import { expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import OpenAI from "openai";
import type { GenerationEvent } from "../../src/engine/generation/generation-types.ts";
import { ToolCallParser } from "../../src/engine/tools/tool-call-parser.ts";
import { functionCalls } from "../../src/http/responses/output-segments.ts";
import { ResponseStreamEventSchema } from "../../src/http/responses/response-events-schema.ts";
import { responseHead } from "../../src/http/responses/response-head.ts";
import { ResponseOutput } from "../../src/http/responses/response-output.ts";
import { responseEvents } from "../../src/http/responses/response-run.ts";
import type { ResponseObject } from "../../src/http/responses/response-schema.ts";
import { ChoiceAccumulator } from "../../src/http/shared/choice-accumulator.ts";
import type { TaggedEvent } from "../../src/http/shared/merge-events.ts";
import { sseResponse } from "../../src/http/shared/sse-response.ts";
import { parseSse } from "../helpers/sse.ts";

/** The model's text, delta by delta: a sentence, then one call in the Hermes format. */
const DELTAS = ["Let me look. ", "<tool_call>", '\n{"name": "get_weather", ', '"arguments": {"city":', ' "Paris"}', "}\n</tool_call>"];

async function* generation(): AsyncGenerator<TaggedEvent> {
  const events: GenerationEvent[] = [
    { type: "prompt", promptTokens: 7, logprobs: null },
    ...DELTAS.map((text): GenerationEvent => ({ type: "delta", index: 0, text, tokens: [{ id: 1, logprob: null, top: [] }] })),
    { type: "finish", index: 0, reason: "stop", completionTokens: 6 },
  ];
  for (const event of events) yield { prompt: 0, event };
}

test("a message then a function call: schema-true events that the SDK's stream helper assembles", async () => {
  let final: ResponseObject | null = null;
  const acc = new ChoiceAccumulator({ prompts: 1, choicesPerPrompt: 1, toolCalls: { reader: () => new ToolCallParser("hermes"), finishReason: "tool_calls" } });
  const events = responseEvents(generation(), acc, {
    head: responseHead({ model: "m", input: "weather?" }, {}),
    output: new ResponseOutput(null),
    segmenter: functionCalls(),
    onFinal: (r) => void (final = r),
  });
  const body = await sseResponse(events, { pingMs: 0, onClose: () => {}, namedEvents: true }).text();
  const sent = parseSse(body).map((e) => JSON.parse(e.data));
  for (const e of sent) expect([...Value.Errors(ResponseStreamEventSchema, e)].map((x) => `${e.type} ${x.path}: ${x.message}`).slice(0, 3)).toEqual([]);
  expect(sent.map((e) => e.type)).toEqual([
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.output_item.added",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.output_item.done",
    "response.completed",
  ]);

  const client = new OpenAI({ apiKey: "x", baseURL: "http://local.test/v1", maxRetries: 0, fetch: async () => new Response(body, { headers: { "content-type": "text/event-stream" } }) });
  const stream = client.responses.stream({ model: "m", input: "weather?" });
  const argumentSnapshots: string[] = [];
  stream.on("response.function_call_arguments.delta", (e) => void argumentSnapshots.push(e.snapshot));
  const assembled = await stream.finalResponse();
  expect(argumentSnapshots).toEqual(['{"city":', '{"city": "Paris"}']);
  expect(assembled.output_text).toBe("Let me look. ");
  const [message, call] = assembled.output;
  expect(message?.type).toBe("message");
  if (call?.type !== "function_call") throw new Error(`expected a function_call, got ${call?.type}`);
  expect(call).toMatchObject({ name: "get_weather", arguments: '{"city": "Paris"}', status: "completed" });
  expect(call.call_id).toMatch(/^call_/);
  expect(final!.output).toEqual(JSON.parse(JSON.stringify(sent.at(-1).response.output)));
  expect(final!.usage).toMatchObject({ input_tokens: 7, output_tokens: 6, total_tokens: 13 });
});
