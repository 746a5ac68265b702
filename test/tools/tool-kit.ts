/**
 * What the end-to-end tool-calling tests share: function definitions whose arguments a random-weight model can
 * finish (bounded strings, integer ranges, enums), the three tool formats' test models, and the checks a client
 * would make of a call: its name is one offered, its arguments parse and validate (ajv) against that schema.
 */
import { expect } from "bun:test";
import type { ChatCompletionFunctionTool, ChatCompletionMessageToolCall } from "openai/resources/chat/completions";
import { validate } from "../grammar/grammar-kit.ts";

/** One model per tool format: a Hermes/Qwen template, a Llama 3.1 template, and test-chat's ChatML (our default). */
export const TOOL_MODELS = [
  { model: "test-hermes", family: "hermes" },
  { model: "test-llama3", family: "llama3" },
  { model: "test-chat", family: "default" },
] as const;

export const WEATHER: ChatCompletionFunctionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather in a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string", minLength: 1, maxLength: 12 }, unit: { enum: ["celsius", "fahrenheit"] } },
      required: ["city", "unit"],
      additionalProperties: false,
    },
  },
};

export const ADD: ChatCompletionFunctionTool = {
  type: "function",
  function: {
    name: "add",
    description: "Adds two small numbers",
    parameters: {
      type: "object",
      properties: { a: { type: "integer", minimum: 0, maximum: 99 }, b: { type: "integer", minimum: -5, maximum: 5 } },
      required: ["a", "b"],
      additionalProperties: false,
    },
  },
};

export const TOOLS = [WEATHER, ADD];

/** A call names one of `offered` and its arguments validate against that function's parameters. */
export function expectValidCall(call: { function: { name: string; arguments: string } }, offered: readonly ChatCompletionFunctionTool[] = TOOLS): void {
  const def = offered.find((t) => t.function.name === call.function.name);
  expect(def?.function.name).toBe(call.function.name);
  expect(validate(def!.function.parameters!, call.function.arguments).errors).toBe("");
}

/** A function call as the answer carries it (the SDK's union also has custom tool calls, which we never send). */
export function functionCalls(calls: ChatCompletionMessageToolCall[] | undefined): { id: string; type: "function"; function: { name: string; arguments: string } }[] {
  return (calls ?? []).map((c) => {
    if (c.type !== "function") throw new Error(`expected a function call, got ${c.type}`);
    return c;
  });
}
