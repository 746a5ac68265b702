/**
 * Structured output and function tools in /v1/responses, through the official openai client on random-weight
 * models: a json_schema text.format's output validates (collected and streamed), function tools with
 * tool_choice "required" or a named function give function_call items whose arguments validate (collected, and
 * streamed through the SDK's responses.stream() with its function_call_arguments events), and a function_call +
 * function_call_output round trip renders through the template as chat renders the same turns.
 */
import { describe, expect, test } from "bun:test";
import type { FunctionTool, ResponseCreateParamsNonStreaming, ResponseFunctionToolCall, ResponseInputItem } from "openai/resources/responses/responses";
import { validate } from "../grammar/grammar-kit.ts";
import { useServer } from "../helpers/start-server.ts";
import { TOOLS } from "../tools/tool-kit.ts";

const ctx = useServer();

/** The chat tool definitions in the Responses API's flat shape. */
const FUNCTIONS: FunctionTool[] = TOOLS.map((t) => ({ type: "function", name: t.function.name, description: t.function.description ?? null, parameters: t.function.parameters ?? null, strict: true }));

const RECORD = {
  type: "object",
  properties: { title: { type: "string", minLength: 1, maxLength: 12 }, year: { type: "integer", minimum: 1900, maximum: 2100 }, genre: { enum: ["drama", "comedy"] } },
  required: ["title", "year", "genre"],
  additionalProperties: false,
};

function calls(output: { type: string }[]): ResponseFunctionToolCall[] {
  return output.filter((o): o is ResponseFunctionToolCall => o.type === "function_call");
}

function expectValidArguments(call: ResponseFunctionToolCall): void {
  const def = FUNCTIONS.find((f) => f.name === call.name);
  expect(def?.name).toBe(call.name);
  expect(validate(def!.parameters!, call.arguments).errors).toBe("");
}

async function chatTokenCount(model: string, messages: object[], tools: object[] | null): Promise<number> {
  const res = await fetch(`${ctx.server.url}/tokenize`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, messages, ...(tools ? { tools } : {}) }) });
  return ((await res.json()) as { count: number }).count;
}

describe("text.format", () => {
  test("json_schema: the output validates, collected and streamed; the response echoes the format", async () => {
    const params = { model: "test-chat", input: "A film as JSON.", text: { format: { type: "json_schema" as const, name: "film", schema: RECORD, strict: true } }, temperature: 0, max_output_tokens: 200 };
    const r = await ctx.client.responses.create(params);
    expect(r.status).toBe("completed");
    expect(validate(RECORD, r.output_text).errors).toBe("");
    expect(r.text?.format).toEqual({ type: "json_schema", name: "film", schema: RECORD, strict: true });
    const stream = ctx.client.responses.stream(params);
    let deltas = "";
    stream.on("response.output_text.delta", (e) => void (deltas += e.delta));
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(r.output_text);
    expect(deltas).toBe(r.output_text);
    for (const seed of [1, 2]) {
      const seeded = { ...params, temperature: 1, seed }; // seed: the server's extension, as chat's
      const s = await ctx.client.responses.create(seeded as ResponseCreateParamsNonStreaming);
      expect(validate(RECORD, s.output_text).errors).toBe("");
    }
  });

  test("json_object: one JSON object", async () => {
    const r = await ctx.client.responses.create({ model: "test-chat", input: "An object.", text: { format: { type: "json_object" } }, temperature: 0, max_output_tokens: 100, logit_bias: { "1": 20, "92": 10, "25": 10, "11": 10 } } as never);
    expect(r.status).toBe("completed");
    expect(JSON.parse(r.output_text)).toBeInstanceOf(Object);
    expect(r.text?.format).toEqual({ type: "json_object" });
  });
});

describe.each(["test-hermes", "test-llama3", "test-chat"])("function tools on %s", (model) => {
  test("tool_choice required: function_call items whose arguments validate; tools and tool_choice echoed", async () => {
    const r = await ctx.client.responses.create({ model, input: "Weather in Paris?", tools: FUNCTIONS, tool_choice: "required", temperature: 0, max_output_tokens: 300 });
    expect(r.status).toBe("completed");
    const found = calls(r.output);
    expect(found.length).toBeGreaterThanOrEqual(1);
    for (const c of found) {
      expectValidArguments(c);
      expect(c.call_id).toMatch(/^call_/);
      expect(c.id).toMatch(/^fc_/);
      expect(c.status).toBe("completed");
    }
    expect(r.tools).toEqual(FUNCTIONS);
    expect(r.tool_choice).toBe("required");
    expect(r.parallel_tool_calls).toBe(true);
  });

  test("streamed through responses.stream(): argument deltas, their done event, the same call as collected", async () => {
    const params = { model, input: "Add two numbers.", tools: FUNCTIONS, tool_choice: { type: "function" as const, name: "add" }, temperature: 0, max_output_tokens: 300 };
    const collected = await ctx.client.responses.create(params);
    const stream = ctx.client.responses.stream(params);
    const snapshots: string[] = [];
    const done: string[] = [];
    stream.on("response.function_call_arguments.delta", (e) => void snapshots.push(e.snapshot));
    stream.on("response.function_call_arguments.done", (e) => void done.push(e.arguments));
    const final = await stream.finalResponse();
    const [call] = calls(final.output);
    expect(call?.name).toBe("add");
    expectValidArguments(call!);
    expect(snapshots.length).toBeGreaterThan(1);
    expect(snapshots.at(-1)).toBe(call!.arguments);
    expect(done).toEqual([call!.arguments]);
    expect(calls(collected.output).map((c) => [c.name, c.arguments])).toEqual([[call!.name, call!.arguments]]);
    expect(final.tool_choice).toEqual({ type: "function", name: "add" });
  });

  test("a function_call + function_call_output round trip renders as chat renders the same turns, and answers", async () => {
    const first = await ctx.client.responses.create({ model, input: "Weather in Paris?", tools: FUNCTIONS, tool_choice: { type: "function", name: "get_weather" }, temperature: 0, max_output_tokens: 300 });
    const [call] = calls(first.output);
    const result: ResponseInputItem = { type: "function_call_output", call_id: call!.call_id, output: "18 degrees and sunny" };
    // Continued by id: the stored call comes back into the prompt, followed by its result.
    const next = await ctx.client.responses.create({ model, previous_response_id: first.id, input: [result], tools: FUNCTIONS, temperature: 0, max_output_tokens: 6 } as ResponseCreateParamsNonStreaming);
    expect(["completed", "incomplete"]).toContain(next.status!);
    expect(next.output[0]!.type).toBe("message");
    // Sent back in full instead: the same prompt.
    const full = await ctx.client.responses.create({ model, input: [{ role: "user", content: "Weather in Paris?" }, call!, result], tools: FUNCTIONS, temperature: 0, max_output_tokens: 6 });
    expect(full.usage!.input_tokens).toBe(next.usage!.input_tokens);
    expect(full.output_text).toBe(next.output_text);
    // …which is the chat prompt of those turns.
    const chatTurns = [
      { role: "user", content: "Weather in Paris?" },
      { role: "assistant", content: null, tool_calls: [{ id: call!.call_id, type: "function", function: { name: call!.name, arguments: call!.arguments } }] },
      { role: "tool", tool_call_id: call!.call_id, content: "18 degrees and sunny" },
    ];
    expect(next.usage!.input_tokens).toBe(await chatTokenCount(model, chatTurns, TOOLS));
  });
});

test("parallel_tool_calls false: one function_call", async () => {
  const params = { model: "test-hermes", input: "Weather and a sum?", tools: FUNCTIONS, tool_choice: "required", parallel_tool_calls: false, temperature: 1, seed: 9, max_output_tokens: 300 };
  const r = await ctx.client.responses.create(params as ResponseCreateParamsNonStreaming);
  expect(calls(r.output)).toHaveLength(1);
  expect(r.parallel_tool_calls).toBe(false);
});
