/**
 * Tool calling through the official openai client, on a model of each tool format (Hermes/Qwen template,
 * Llama 3.1 template, test-chat's ChatML with our default format), all random weights: forced calls (a named
 * function, `required`) come back as valid calls of the offered schemas, collected and streamed in OpenAI's
 * shapes, assembled by the SDK's own stream helper and runTools; a conversation carrying tool results renders
 * through the template and answers; a call cut off by max_tokens ends "length" with its partial arguments.
 */
import { describe, expect, test } from "bun:test";
import type { ChatCompletionChunk, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { useServer } from "../helpers/start-server.ts";
import { ADD, expectValidCall, functionCalls, TOOL_MODELS, TOOLS, WEATHER } from "./tool-kit.ts";

const ctx = useServer();
const ASK: ChatCompletionMessageParam[] = [{ role: "user", content: "What is the weather in Paris, and what is 2 + 3?" }];
const GREEDY = { temperature: 0, max_tokens: 300 } as const;

/** The prompt ids the server builds for these messages and tools (POST /tokenize). */
async function tokenize(model: string, messages: ChatCompletionMessageParam[], extra: object = {}): Promise<number[]> {
  const res = await fetch(`${ctx.server.url}/tokenize`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, messages, ...extra }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { tokens: number[] }).tokens;
}

async function promptText(model: string, tokens: number[]): Promise<string> {
  const res = await fetch(`${ctx.server.url}/detokenize`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, tokens }) });
  return ((await res.json()) as { prompt: string }).prompt;
}

describe.each(TOOL_MODELS)("$model ($family format)", ({ model }) => {
  test("a named tool_choice: one call of that function, valid arguments, content null, finish_reason stop", async () => {
    const res = await ctx.client.chat.completions.create({ model, messages: ASK, tools: TOOLS, tool_choice: { type: "function", function: { name: "add" } }, ...GREEDY });
    const choice = res.choices[0]!;
    const calls = functionCalls(choice.message.tool_calls);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.function.name).toBe("add");
    expect(calls[0]!.id).toMatch(/^call_[0-9a-f]{24}$/);
    expectValidCall(calls[0]!);
    expect(choice.message.content).toBeNull();
    expect(choice.finish_reason).toBe("stop");
    // The offered tools are in the prompt: it is the template's rendering with them.
    expect(res.usage!.prompt_tokens).toBe((await tokenize(model, ASK, { tools: TOOLS, tool_choice: { type: "function", function: { name: "add" } } })).length);
    expect(res.usage!.prompt_tokens).toBeGreaterThan((await tokenize(model, ASK)).length);
  });

  test("required with two tools: every call is of an offered function and valid; finish_reason tool_calls", async () => {
    for (const seed of [1, 2, 3]) {
      const res = await ctx.client.chat.completions.create({ model, messages: ASK, tools: TOOLS, tool_choice: "required", temperature: 1, seed, max_tokens: 400 });
      const choice = res.choices[0]!;
      const calls = functionCalls(choice.message.tool_calls);
      expect(calls.length).toBeGreaterThanOrEqual(1);
      for (const call of calls) expectValidCall(call);
      expect(new Set(calls.map((c) => c.id)).size).toBe(calls.length);
      expect(choice.finish_reason).toBe("tool_calls");
    }
  });

  test("parallel_tool_calls false: exactly one call", async () => {
    for (const seed of [4, 5]) {
      const res = await ctx.client.chat.completions.create({ model, messages: ASK, tools: TOOLS, tool_choice: "required", parallel_tool_calls: false, temperature: 1, seed, max_tokens: 300 });
      const calls = functionCalls(res.choices[0]!.message.tool_calls);
      expect(calls).toHaveLength(1);
      expectValidCall(calls[0]!);
      expect(res.choices[0]!.finish_reason).toBe("tool_calls");
    }
  });

  test("streamed: per call a first delta with index, id, type, name and arguments \"\", then fragments; the same call as collected", async () => {
    const params = { model, messages: ASK, tools: TOOLS, tool_choice: "required" as const, parallel_tool_calls: false, ...GREEDY };
    const collected = await ctx.client.chat.completions.create(params);
    const stream = await ctx.client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
    const chunks: ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    const deltas = chunks.flatMap((c) => c.choices.map((ch) => ch.delta));
    expect(deltas[0]).toEqual({ role: "assistant", content: null });
    const pieces = deltas.flatMap((d) => d.tool_calls ?? []);
    expect(pieces[0]).toMatchObject({ index: 0, type: "function", function: { arguments: "" } });
    expect(pieces[0]!.id).toMatch(/^call_/);
    for (const p of pieces.slice(1)) expect(Object.keys(p).sort()).toEqual(["function", "index"]);
    const streamed = { name: pieces[0]!.function!.name, arguments: pieces.map((p) => p.function?.arguments ?? "").join("") };
    const call = functionCalls(collected.choices[0]!.message.tool_calls)[0]!;
    expect(streamed).toEqual({ name: call.function.name, arguments: call.function.arguments });
    expect(deltas.some((d) => typeof d.content === "string" && d.content !== "")).toBe(false);
    const finishes = chunks.flatMap((c) => c.choices.filter((ch) => ch.finish_reason !== null).map((ch) => ch.finish_reason));
    expect(finishes).toEqual(["tool_calls"]);
    expect(chunks.at(-1)!.usage).toEqual(collected.usage);
  });

  test("the SDK's stream helper (chat.completions.stream) assembles the call and parses it when done", async () => {
    const stream = ctx.client.chat.completions.stream({ model, messages: ASK, tools: TOOLS, tool_choice: { type: "function", function: { name: "get_weather" } }, ...GREEDY });
    const done: { name: string; arguments: string }[] = [];
    stream.on("tool_calls.function.arguments.done", (e) => void done.push({ name: e.name, arguments: e.arguments }));
    const final = await stream.finalChatCompletion();
    const calls = functionCalls(final.choices[0]!.message.tool_calls);
    expect(calls).toHaveLength(1);
    expectValidCall(calls[0]!);
    expect(done).toEqual([{ name: "get_weather", arguments: calls[0]!.function.arguments }]);
    expect(final.choices[0]!.message.content).toBeNull();
    expect(final.choices[0]!.finish_reason).toBe("stop");
  });

  test("runTools calls the function with the parsed arguments of the forced call", async () => {
    const seen: unknown[] = [];
    const runner = ctx.client.chat.completions.runTools({
      model,
      messages: ASK,
      tool_choice: { type: "function", function: { name: "add" } },
      tools: [{ type: "function", function: { name: "add", description: ADD.function.description!, parameters: ADD.function.parameters!, parse: (text: string) => JSON.parse(text) as { a: number; b: number }, function: (args: { a: number; b: number }) => (seen.push(args), String(args.a + args.b)) } }],
      ...GREEDY,
    });
    await runner.done();
    expect(seen).toHaveLength(1);
    const args = seen[0] as { a: number; b: number };
    expect(Number.isInteger(args.a) && args.a >= 0 && args.a <= 99 && Number.isInteger(args.b) && args.b >= -5 && args.b <= 5).toBe(true);
    // The runner's transcript ends with our function's result as a tool message answering the call.
    const last = runner.messages.at(-1) as { role: string; content: string; tool_call_id: string };
    expect(last).toMatchObject({ role: "tool", content: String(args.a + args.b) });
  });

  test("a conversation carrying tool results renders through the template and answers", async () => {
    const messages: ChatCompletionMessageParam[] = [
      ...ASK,
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_w", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris","unit":"celsius"}' } },
          { id: "call_a", type: "function", function: { name: "add", arguments: '{"a":2,"b":3}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_w", content: "18 degrees and sunny" },
      { role: "tool", tool_call_id: "call_a", content: "5" },
    ];
    const res = await ctx.client.chat.completions.create({ model, messages, tools: TOOLS, temperature: 0, max_tokens: 8 });
    const choice = res.choices[0]!;
    expect(["stop", "length"]).toContain(choice.finish_reason);
    expect(typeof choice.message.content).toBe("string");
    const ids = await tokenize(model, messages, { tools: TOOLS });
    expect(res.usage!.prompt_tokens).toBe(ids.length);
    const prompt = await promptText(model, ids);
    for (const part of [/18 degrees and sunny/, /"city": ?"Paris"/, /"b": ?3/]) expect(prompt).toMatch(part);
    // Without `tools` the history still renders its calls and results the same way.
    const plain = await promptText(model, await tokenize(model, messages));
    expect(plain).toMatch(/18 degrees and sunny/);
    expect(plain).toMatch(/"city": ?"Paris"/);
  });

  test("a call cut off by max_tokens: finish_reason length, the partial arguments as they stand", async () => {
    const params = { model, messages: ASK, tools: [WEATHER], tool_choice: { type: "function" as const, function: { name: "get_weather" } }, temperature: 0 };
    const full = await ctx.client.chat.completions.create({ ...params, max_tokens: 300, logprobs: true });
    const args = functionCalls(full.choices[0]!.message.tool_calls)[0]!.function.arguments;
    // Stop the same (greedy) generation halfway through the arguments: after the token that passes their middle.
    const bytes = full.choices[0]!.logprobs!.content!.map((t) => t.bytes ?? []);
    const text = Buffer.from(bytes.flat());
    const middle = text.indexOf(args) + Math.floor(Buffer.byteLength(args) / 2);
    let tokens = 0;
    for (let length = 0; length <= middle; tokens++) length += bytes[tokens]!.length;
    const cut = await ctx.client.chat.completions.create({ ...params, max_tokens: tokens });
    expect(cut.choices[0]!.finish_reason).toBe("length");
    const partial = functionCalls(cut.choices[0]!.message.tool_calls)[0]!;
    expect(partial.function.name).toBe("get_weather");
    expect(partial.function.arguments.length).toBeGreaterThan(0);
    expect(args.startsWith(partial.function.arguments)).toBe(true);
    expect(partial.function.arguments).not.toBe(args);
  });
});

describe("tool_choice none and auto", () => {
  // test-hermes' <tool_call> is one token (50259): biasing it makes the model write call tags that are no call.
  const TAG = { "50259": 100 };

  test("none: tools left out of the prompt, the text not read for calls", async () => {
    const res = await ctx.client.chat.completions.create({ model: "test-hermes", messages: ASK, tools: TOOLS, tool_choice: "none", temperature: 0, max_tokens: 3, logit_bias: TAG });
    expect(res.choices[0]!.message.content).toBe("<tool_call>".repeat(3));
    expect(res.choices[0]!.message.tool_calls).toBeUndefined();
    expect(res.usage!.prompt_tokens).toBe((await tokenize("test-hermes", ASK)).length);
  });

  test("auto: text that is no call stays content, markup included; finish_reason is not tool_calls", async () => {
    const res = await ctx.client.chat.completions.create({ model: "test-hermes", messages: ASK, tools: TOOLS, temperature: 0, max_tokens: 3, logit_bias: TAG });
    expect(res.choices[0]!.message.content).toBe("<tool_call>".repeat(3));
    expect(res.choices[0]!.message.tool_calls).toBeUndefined();
    expect(res.choices[0]!.finish_reason).toBe("length");
    const free = await ctx.client.chat.completions.create({ model: "test-llama3", messages: ASK, tools: TOOLS, temperature: 0, max_tokens: 12 });
    expect(free.choices[0]!.message.tool_calls).toBeUndefined();
    expect(free.choices[0]!.message.content!.length).toBeGreaterThan(0);
  });
});

describe("bad tools: 400 naming the field", () => {
  const bad: [string, object, string][] = [
    ["a tool_choice naming an unknown function", { tools: TOOLS, tool_choice: { type: "function", function: { name: "nope" } } }, "tool_choice.function.name"],
    ["tool_choice required with an empty tools list", { tools: [], tool_choice: "required" }, "tool_choice"],
    ["tool_choice required without tools", { tool_choice: "required" }, "tool_choice"],
    ["a malformed tool_choice", { tools: TOOLS, tool_choice: { type: "function" } }, "tool_choice"],
    ["tools not an array", { tools: { type: "function" } }, "tools"],
    ["a tool that is not a function", { tools: [{ type: "retrieval" }] }, "tools[0].type"],
    ["a function without a name", { tools: [WEATHER, { type: "function", function: { parameters: { type: "object" } } }] }, "tools[1].function.name"],
    ["a function name twice", { tools: [WEATHER, WEATHER] }, "tools[1].function.name"],
    ["parameters that are not an object schema", { tools: [{ type: "function", function: { name: "f", parameters: { type: "string" } } }] }, "tools[0].function.parameters.type"],
    ["parameters we cannot enforce", { tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: { x: { type: "number", maximum: 3 } } } } }] }, "tools[0].function.parameters.properties.x.maximum"],
  ];
  for (const [name, body, param] of bad) {
    test(name, async () => {
      const res = await fetch(`${ctx.server.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "test-chat", messages: ASK, max_tokens: 5, ...body }) });
      const json = (await res.json()) as { error: { param: string; type: string; code: string } };
      expect({ status: res.status, param: json.error.param, type: json.error.type }).toEqual({ status: 400, param, type: "invalid_request_error" });
    });
  }
});
