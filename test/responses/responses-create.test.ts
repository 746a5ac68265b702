/**
 * POST /v1/responses through the official openai client against the real server: a string, instructions and a
 * message list render exactly as /v1/chat/completions renders the same messages (same prompt tokens, same
 * greedy text); a completion-only model takes a string as a plain prompt, as /v1/completions; usage is the
 * engine's exact count; status completed / incomplete; logprobs as chat reports them; bad input is a 400
 * naming the field.
 */
import { describe, expect, test } from "bun:test";
import type { ResponseCreateParamsNonStreaming } from "openai/resources/responses/responses";
import { expectRefused } from "../helpers/openai-api.ts";
import { useServer } from "../helpers/start-server.ts";
import { CHAT_MODEL, chatPromptTokens, COMPLETION_MODEL, IM_END_ID } from "./responses-kit.ts";

const ctx = useServer();

type Params = Omit<ResponseCreateParamsNonStreaming, "model"> & { model?: string; ignore_eos?: boolean; logit_bias?: Record<string, number> };

function create(params: Params) {
  return ctx.client.responses.create({ model: CHAT_MODEL, temperature: 0, ...params } as ResponseCreateParamsNonStreaming);
}

async function greedyChat(messages: { role: "system" | "user" | "assistant"; content: string }[], maxTokens: number) {
  const c = await ctx.client.chat.completions.create({ model: CHAT_MODEL, messages, max_tokens: maxTokens, temperature: 0 });
  return { text: c.choices[0]!.message.content!, usage: c.usage! };
}

describe("a chat model renders the conversation as chat does", () => {
  test("a string input is one user message: same prompt tokens and the same greedy text as chat", async () => {
    const r = await create({ input: "Tell me about foxes.", max_output_tokens: 8 });
    const chat = await greedyChat([{ role: "user", content: "Tell me about foxes." }], 8);
    expect(r.object).toBe("response");
    expect(r.id).toMatch(/^resp_[A-Za-z0-9]{24}$/);
    expect(r.output).toHaveLength(1);
    const item = r.output[0]!;
    if (item.type !== "message") throw new Error(`expected a message, got ${item.type}`);
    expect(item.role).toBe("assistant");
    expect(item.id).toMatch(/^msg_/);
    expect(item.content).toEqual([{ type: "output_text", text: chat.text, annotations: [] }]);
    expect(r.output_text).toBe(chat.text);
    expect(r.usage!.input_tokens).toBe(await chatPromptTokens(ctx.server.url, [{ role: "user", content: "Tell me about foxes." }]));
    expect(r.usage!.input_tokens).toBe(chat.usage.prompt_tokens);
    expect(r.usage!.output_tokens).toBe(chat.usage.completion_tokens);
    expect(r.usage!.total_tokens).toBe(r.usage!.input_tokens + r.usage!.output_tokens);
    expect(r.usage!.input_tokens_details.cached_tokens).toBe(0);
    expect(r.usage!.output_tokens_details.reasoning_tokens).toBe(0);
  });

  test("instructions and a message list (string and part content, developer as system)", async () => {
    const r = await create({
      instructions: "Answer briefly.",
      input: [
        { role: "user", content: "Hi" },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "Hello there!" }] },
        { role: "developer", content: [{ type: "input_text", text: "Stay on topic." }] },
        { role: "user", content: [{ type: "input_text", text: "What is" }, { type: "input_text", text: "a fox?" }] },
      ] as Params["input"],
      max_output_tokens: 6,
    });
    const messages = [
      { role: "system" as const, content: "Answer briefly." },
      { role: "user" as const, content: "Hi" },
      { role: "assistant" as const, content: "Hello there!" },
      { role: "system" as const, content: "Stay on topic." },
      { role: "user" as const, content: "What is\na fox?" },
    ];
    const chat = await greedyChat(messages, 6);
    expect(r.instructions).toBe("Answer briefly.");
    expect(r.output_text).toBe(chat.text);
    expect(r.usage!.input_tokens).toBe(chat.usage.prompt_tokens);
    expect(r.usage!.input_tokens).toBe(await chatPromptTokens(ctx.server.url, messages));
  });

  test("a function_call_output item renders as a tool message, as chat renders one", async () => {
    const r = await create({ input: [{ role: "user", content: "Weather?" }, { type: "function_call_output", call_id: "call_1", output: "sunny" }], max_output_tokens: 3 });
    expect(r.usage!.input_tokens).toBe(await chatPromptTokens(ctx.server.url, [{ role: "user", content: "Weather?" }, { role: "tool", content: "sunny", tool_call_id: "call_1" }]));
  });
});

describe("status and usage", () => {
  test("max_output_tokens reached: status incomplete, reason max_output_tokens, the message incomplete", async () => {
    const r = await create({ input: "Count", max_output_tokens: 5, ignore_eos: true });
    expect(r.status).toBe("incomplete");
    expect(r.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(r.completed_at).toBeNull();
    expect(r.usage!.output_tokens).toBe(5);
    expect(r.max_output_tokens).toBe(5);
    expect(r.output[0]!.type === "message" && r.output[0]!.status).toBe("incomplete");
  });

  test("the model ends its turn: status completed with completed_at, an empty message", async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await create({ input: "Stop", max_output_tokens: 5, logit_bias: { [IM_END_ID]: 100 } });
    expect(r.status).toBe("completed");
    expect(r.incomplete_details).toBeNull();
    expect(r.error).toBeNull();
    expect(r.completed_at).toBeGreaterThanOrEqual(before);
    expect(r.output_text).toBe("");
    expect(r.output[0]!.type === "message" && r.output[0]!.status).toBe("completed");
    expect(r.usage!.output_tokens).toBe(1);
  });

  test("the request's settings are echoed, with OpenAI's defaults where it gave none", async () => {
    const r = await create({ input: "x", max_output_tokens: 1, metadata: { run: "7" }, top_p: 0.5, user: "u1" });
    expect(r).toMatchObject({ model: CHAT_MODEL, temperature: 0, top_p: 0.5, metadata: { run: "7" }, user: "u1", tools: [], tool_choice: "auto", parallel_tool_calls: true, previous_response_id: null, truncation: "disabled", text: { format: { type: "text" } } });
    const d = await ctx.client.responses.create({ model: CHAT_MODEL, input: "x", max_output_tokens: 1 });
    expect(d).toMatchObject({ temperature: 1, top_p: 1, metadata: {}, instructions: null, top_logprobs: 0 });
  });

  test("logprobs (include message.output_text.logprobs) are chat's logprobs of the same tokens", async () => {
    const r = await create({ input: "Hello", max_output_tokens: 4, include: ["message.output_text.logprobs"], top_logprobs: 2 });
    const c = await ctx.client.chat.completions.create({ model: CHAT_MODEL, messages: [{ role: "user", content: "Hello" }], max_tokens: 4, temperature: 0, logprobs: true, top_logprobs: 2 });
    const part = r.output[0]!.type === "message" ? r.output[0]!.content[0]! : null;
    if (part?.type !== "output_text") throw new Error("no output_text part");
    expect(part.logprobs).toEqual(c.choices[0]!.logprobs!.content!.map((l) => ({ token: l.token, bytes: l.bytes!, logprob: l.logprob, top_logprobs: l.top_logprobs.map((t) => ({ token: t.token, bytes: t.bytes!, logprob: t.logprob })) })));
    expect(part.logprobs).toHaveLength(r.usage!.output_tokens);
  });
});

describe("a completion-only model", () => {
  test("takes a string input as a plain prompt: the same text and prompt tokens as /v1/completions", async () => {
    const r = await create({ model: COMPLETION_MODEL, input: "The quick brown fox", max_output_tokens: 7 });
    const c = await ctx.client.completions.create({ model: COMPLETION_MODEL, prompt: "The quick brown fox", max_tokens: 7, temperature: 0 });
    expect(r.output_text).toBe(c.choices[0]!.text);
    expect(r.usage!.input_tokens).toBe(c.usage!.prompt_tokens);
    expect(r.usage!.output_tokens).toBe(c.usage!.completion_tokens);
  });

  test("refuses structured input, instructions and previous turns, naming the field and saying to use a chat model", async () => {
    for (const [params, param] of [
      [{ input: [{ role: "user", content: "Hi" }] }, "input"],
      [{ input: "Hi", instructions: "Be nice" }, "instructions"],
    ] as const) {
      await expectRefused(create({ model: COMPLETION_MODEL, ...params } as Params), { status: 400, param, code: "model_not_chat_capable", message: [/chat template/, /chat model/] });
    }
  });
});

describe("bad input is a 400 naming the field", () => {
  test.each([
    ["missing input", { input: undefined }, "input", "missing_required_parameter"],
    ["an empty item list", { input: [] }, "input", "invalid_value"],
    ["an unknown role", { input: [{ role: "robot", content: "x" }] }, "input[0].role", null],
    ["a part without text", { input: [{ role: "user", content: "a" }, { role: "user", content: [{ type: "input_text" }] }] }, "input[1].content[0].text", null],
    ["an image part", { input: [{ role: "user", content: [{ type: "input_image", image_url: "https://x/y.png" }] }] }, "input[0].content[0].type", "unsupported_content_type"],
    ["an unknown item type", { input: [{ type: "item_reference", id: "x" }] }, "input[0].type", "unsupported_parameter"],
    ["a function_call without call_id", { input: [{ type: "function_call", name: "f", arguments: "{}" }] }, "input[0].call_id", null],
    ["a function_call without arguments", { input: [{ type: "function_call", call_id: "c", name: "f" }] }, "input[0].arguments", null],
    ["max_output_tokens 0", { input: "x", max_output_tokens: 0 }, "max_output_tokens", "invalid_value"],
    ["temperature 3", { input: "x", temperature: 3 }, "temperature", "invalid_value"],
    ["17 metadata pairs", { input: "x", metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }, "metadata", null],
    ["an unknown text.format type", { input: "x", text: { format: { type: "yaml" } } }, "text.format.type", "invalid_schema"],
    ["a json_schema format without a name", { input: "x", text: { format: { type: "json_schema", schema: {} } } }, "text.format.name", "invalid_schema"],
    ["a json_schema format with a refused keyword", { input: "x", text: { format: { type: "json_schema", name: "n", schema: { type: "array", uniqueItems: true } } } }, "text.format.schema.uniqueItems", "unsupported_keyword"],
    ["a hosted tool", { input: "x", tools: [{ type: "web_search" }] }, "tools[0].type", "invalid_tools"],
    ["a function tool without a name", { input: "x", tools: [{ type: "function", parameters: {}, strict: true }] }, "tools[0].name", "invalid_tools"],
    ["function parameters with a refused keyword", { input: "x", tools: [{ type: "function", name: "f", parameters: { type: "object", properties: { n: { type: "number", minimum: 0 } } }, strict: true }] }, "tools[0].parameters.properties.n.minimum", "unsupported_keyword"],
    ["tool_choice naming no tool", { input: "x", tools: [{ type: "function", name: "f", parameters: null, strict: true }], tool_choice: { type: "function", name: "g" } }, "tool_choice.name", "invalid_tools"],
    ["tool_choice required without tools", { input: "x", tool_choice: "required" }, "tool_choice", "invalid_tools"],
    ["ignore_eos with a json format", { input: "x", text: { format: { type: "json_object" } }, ignore_eos: true }, "ignore_eos", "unsupported_parameter"],
    ["reasoning effort on a non-reasoning model", { input: "x", reasoning: { effort: "high" } }, "reasoning.effort", "unsupported_parameter"],
    ["background", { input: "x", background: true }, "background", "unsupported_parameter"],
    ["an unknown include", { input: "x", include: ["everything"] }, "include", "invalid_value"],
  ])("%s", async (_, params, param, code) => {
    await expectRefused(create(params as Params), { status: 400, param, ...(code ? { code } : {}) });
  });

  test("an input that does not fit the context is context_length_exceeded on max_output_tokens", async () => {
    await expectRefused(create({ input: "x", max_output_tokens: 100_000 }), { status: 400, param: "max_output_tokens", code: "context_length_exceeded" });
  });

  test("an unknown model is a 404 model_not_found", async () => {
    await expectRefused(create({ model: "no-such-model", input: "x" }), { status: 404, param: "model", code: "model_not_found" });
  });
});
