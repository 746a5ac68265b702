/**
 * Tools under tool_choice "auto" beside a JSON response format (what agent frameworks send for a typed final
 * answer): the reply is either tool calls of the offered schemas or the JSON document of the format, whichever
 * the model starts — never free text, never a call whose arguments break their bounds, never JSON that breaks the
 * format's. Random weights and several seeds, on each tool format, collected and streamed, chat and Responses.
 */
import { describe, expect, test } from "bun:test";
import type { ResponseFormatJSONSchema } from "openai/resources/shared";
import { validate } from "../grammar/grammar-kit.ts";
import { useServer } from "../helpers/start-server.ts";
import { expectValidCall, functionCalls, TOOL_MODELS, TOOLS } from "../tools/tool-kit.ts";

const ctx = useServer();
const ASK = [{ role: "user" as const, content: "What is the weather in Paris? Answer as a record." }];
const ANSWER = {
  type: "object",
  properties: { summary: { type: "string", minLength: 1, maxLength: 8 }, score: { type: "integer", minimum: 0, maximum: 9 } },
  required: ["summary", "score"],
  additionalProperties: false,
};
const FORMAT: ResponseFormatJSONSchema = { type: "json_schema", json_schema: { name: "answer", schema: ANSWER, strict: true } };
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

/** What one reply was: "calls" (all valid) or "json" (valid against the format); anything else fails the test. */
function branchOf(message: { content: string | null; tool_calls?: unknown }, finish: string): "calls" | "json" {
  const calls = functionCalls(message.tool_calls as never);
  if (calls.length > 0) {
    for (const call of calls) expectValidCall(call);
    expect(finish).toBe("tool_calls");
    return "calls";
  }
  expect(validate(ANSWER, message.content ?? "").errors).toBe("");
  expect(finish).toBe("stop");
  return "json";
}

// GPT-2 ids of "<" and "{": a reply's first character decides between a <tool_call> and the JSON answer.
const LT = 27;
const BRACE = 90;

describe.each(TOOL_MODELS)("$model ($family format)", ({ model, family }) => {
  test("every reply is valid calls or the valid JSON answer", async () => {
    const seen = new Set<string>();
    for (const seed of SEEDS) {
      const res = await ctx.client.chat.completions.create({ model, messages: ASK, tools: TOOLS, response_format: FORMAT, temperature: 1, seed, max_tokens: 300 });
      seen.add(branchOf(res.choices[0]!.message, res.choices[0]!.finish_reason));
    }
    // Llama 3 calls are JSON objects too: the seeds alone reach both branches there.
    if (family === "llama3") expect([...seen].sort()).toEqual(["calls", "json"]);
  });

  test.skipIf(family === "llama3")("the model's first choice decides: steered to a call it calls, steered to '{' it answers", async () => {
    const body = { model, messages: ASK, tools: TOOLS, response_format: FORMAT, temperature: 0, max_tokens: 300 };
    const call = await ctx.client.chat.completions.create({ ...body, logit_bias: { [LT]: 100, ...(family === "hermes" ? { 50259: 100 } : {}) } });
    expect(branchOf(call.choices[0]!.message, call.choices[0]!.finish_reason)).toBe("calls");
    const json = await ctx.client.chat.completions.create({ ...body, logit_bias: { [BRACE]: 100 } });
    expect(branchOf(json.choices[0]!.message, json.choices[0]!.finish_reason)).toBe("json");
  });

  test("streamed, the deltas assemble to what the collected reply is", async () => {
    for (const seed of SEEDS.slice(0, 4)) {
      const body = { model, messages: ASK, tools: TOOLS, response_format: FORMAT, temperature: 1, seed, max_tokens: 300 };
      const collected = await ctx.client.chat.completions.create(body);
      const stream = ctx.client.chat.completions.stream(body);
      const streamed = await stream.finalChatCompletion();
      const a = collected.choices[0]!;
      const b = streamed.choices[0]!;
      expect(branchOf(b.message, b.finish_reason)).toBe(branchOf(a.message, a.finish_reason));
      expect(b.message.content ?? null).toEqual(a.message.content ?? null);
      const fn = (m: typeof a.message) => functionCalls(m.tool_calls).map((c) => ({ name: c.function.name, arguments: c.function.arguments }));
      expect(fn(b.message)).toEqual(fn(a.message));
    }
  });
});

test("parallel_tool_calls false under auto with a format: at most one call", async () => {
  for (const seed of SEEDS) {
    const res = await ctx.client.chat.completions.create({ model: "test-hermes", messages: ASK, tools: TOOLS, response_format: FORMAT, parallel_tool_calls: false, temperature: 1, seed, max_tokens: 300 });
    expect(functionCalls(res.choices[0]!.message.tool_calls).length).toBeLessThanOrEqual(1);
    branchOf(res.choices[0]!.message, res.choices[0]!.finish_reason);
  }
});

test("/v1/responses: text.format with function tools under auto gives function_call items or the JSON message", async () => {
  for (const seed of SEEDS) {
    const r = await ctx.client.responses.create({
      model: "test-hermes",
      input: "What is the weather in Paris? Answer as a record.",
      tools: TOOLS.map((t) => ({ type: "function" as const, name: t.function.name, parameters: t.function.parameters!, strict: true })),
      text: { format: { type: "json_schema", name: "answer", schema: ANSWER, strict: true } },
      temperature: 1,
      max_output_tokens: 300,
      seed,
    } as never);
    const calls = r.output.filter((o) => o.type === "function_call");
    if (calls.length > 0) {
      for (const c of calls) if (c.type === "function_call") expectValidCall({ function: { name: c.name, arguments: c.arguments } });
    } else expect(validate(ANSWER, r.output_text).errors).toBe("");
  }
});
