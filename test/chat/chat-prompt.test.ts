/**
 * /v1/chat/completions builds its prompt from test-chat's ChatML template, and refuses what it cannot serve
 * (bad messages, non-text parts, json modes, tools, completion-only models) with a 400 naming the field.
 */
import { describe, expect, test } from "bun:test";
import type { ChatCompletion, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { Completion } from "openai/resources/completions";
import { useServer } from "../helpers/start-server.ts";
import { CHAT_MODEL, chat, chatml, COMPLETION_MODEL, expectRefused, postJson, tokenIds, type ErrorBody } from "./chat-kit.ts";

const ctx = useServer();

const CONVERSATION: { role: "system" | "user" | "assistant"; content: string }[] = [
  { role: "system", content: "You are terse." },
  { role: "user", content: "Name a colour." },
  { role: "assistant", content: "Blue." },
  { role: "user", content: "Another one, please!" },
];

/** Greedy, a few tokens, with logprobs: two requests whose prompts are the same token ids answer identically. */
const PROBE = { temperature: 0, max_tokens: 4, logprobs: true, top_logprobs: 3 } as const;

function tokenLogprobs(c: ChatCompletion): number[] {
  return (c.choices[0]!.logprobs?.content ?? []).map((t) => t.logprob);
}

function expectSameAnswer(a: ChatCompletion, b: ChatCompletion): void {
  expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
  const la = tokenLogprobs(a);
  const lb = tokenLogprobs(b);
  expect(la.length).toBe(PROBE.max_tokens);
  expect(lb.length).toBe(la.length);
  la.forEach((v, i) => expect(v).toBeCloseTo(lb[i]!, 4));
}

describe("template rendering", () => {
  test("usage.prompt_tokens is the token count of the ChatML text the template must render", async () => {
    const expectedIds = await tokenIds(CHAT_MODEL, chatml(CONVERSATION));
    const res = await chat(ctx.client, { messages: CONVERSATION, max_tokens: 1, temperature: 0 });
    expect(res.object).toBe("chat.completion");
    expect(res.model).toBe(CHAT_MODEL);
    expect(res.usage?.prompt_tokens).toBe(expectedIds.length);
    expect(res.usage?.total_tokens).toBe(expectedIds.length + (res.usage?.completion_tokens ?? NaN));

    // A one-message conversation: its own count, not a constant.
    const single = [{ role: "user" as const, content: "Hello there" }];
    const one = await chat(ctx.client, { messages: single, max_tokens: 1, temperature: 0 });
    expect(one.usage?.prompt_tokens).toBe((await tokenIds(CHAT_MODEL, chatml(single))).length);
  });

  test("the model is fed exactly those ids: greedy chat equals /v1/completions on the expected token ids", async () => {
    const expectedIds = await tokenIds(CHAT_MODEL, chatml(CONVERSATION));
    // Sanity: the expected text really uses the special tokens, not their spelling as plain text.
    expect(expectedIds.filter((id) => id === 50257).length).toBe(CONVERSATION.length + 1);

    const viaChat = await chat(ctx.client, { messages: CONVERSATION, ...PROBE });
    const viaCompletion: Completion = await ctx.client.completions.create({ model: CHAT_MODEL, prompt: expectedIds, temperature: 0, max_tokens: PROBE.max_tokens, logprobs: 3 });
    expect(viaCompletion.usage?.prompt_tokens).toBe(expectedIds.length);
    expect(viaChat.choices[0]!.message.content).toBe(viaCompletion.choices[0]!.text);
    const completionLogprobs = viaCompletion.choices[0]!.logprobs?.token_logprobs ?? [];
    const chatLogprobs = tokenLogprobs(viaChat);
    expect(chatLogprobs.length).toBe(PROBE.max_tokens);
    chatLogprobs.forEach((v, i) => expect(v).toBeCloseTo(completionLogprobs[i]!, 4));
    expect((viaChat.choices[0]!.logprobs?.content ?? []).map((t) => t.token)).toEqual(viaCompletion.choices[0]!.logprobs?.tokens ?? []);
  });

  test("a developer message is a system message: same prompt, same answer; a user message is not", async () => {
    const asSystem = await chat(ctx.client, { messages: [{ role: "system", content: "Be kind." }, { role: "user", content: "Hi" }], ...PROBE });
    const asDeveloper = await chat(ctx.client, { messages: [{ role: "developer", content: "Be kind." }, { role: "user", content: "Hi" }], ...PROBE });
    expect(asDeveloper.usage?.prompt_tokens).toBe(asSystem.usage?.prompt_tokens);
    expectSameAnswer(asDeveloper, asSystem);

    // The comparison can tell roles apart: the same text as a user turn renders (and answers) differently.
    const asUser = await chat(ctx.client, { messages: [{ role: "user", content: "Be kind." }, { role: "user", content: "Hi" }], ...PROBE });
    expect(tokenLogprobs(asUser)).not.toEqual(tokenLogprobs(asSystem));
  });

  test("content as an array of text parts equals the same text as a string", async () => {
    const asString = await chat(ctx.client, { messages: [{ role: "user", content: "What is two plus two?" }], ...PROBE });
    const asPart = await chat(ctx.client, { messages: [{ role: "user", content: [{ type: "text", text: "What is two plus two?" }] }], ...PROBE });
    expect(asPart.usage?.prompt_tokens).toBe(asString.usage?.prompt_tokens);
    expectSameAnswer(asPart, asString);

    // Several parts are joined with a newline (vLLM's convention), so no word runs into the next one.
    const joined = await chat(ctx.client, { messages: [{ role: "user", content: "First line\nSecond line" }], ...PROBE });
    const parts = await chat(ctx.client, {
      messages: [{ role: "user", content: [{ type: "text", text: "First line" }, { type: "text", text: "Second line" }] }],
      ...PROBE,
    });
    expect(parts.usage?.prompt_tokens).toBe(joined.usage?.prompt_tokens);
    expectSameAnswer(parts, joined);
  });

  test("a message `name` is accepted (this template does not use it, so the prompt is unchanged)", async () => {
    const named = await chat(ctx.client, { messages: [{ role: "user", content: "Hi", name: "alice" }, { role: "system", content: "Note", name: "ops" }], ...PROBE });
    const plain = await chat(ctx.client, { messages: [{ role: "user", content: "Hi" }, { role: "system", content: "Note" }], ...PROBE });
    expect(named.usage?.prompt_tokens).toBe(plain.usage?.prompt_tokens);
    expectSameAnswer(named, plain);
  });

  test("tool and assistant turns render as their roles; an assistant turn with null content is accepted", async () => {
    const messages: ChatCompletionMessageParam[] = [
      { role: "user", content: "Weather?" },
      { role: "assistant", content: null },
      { role: "tool", content: "sunny", tool_call_id: "call_1" },
    ];
    const expected = chatml([
      { role: "user", content: "Weather?" },
      { role: "assistant", content: "" },
      { role: "tool", content: "sunny" },
    ]);
    const res = await chat(ctx.client, { messages, max_tokens: 1, temperature: 0 });
    expect(res.usage?.prompt_tokens).toBe((await tokenIds(CHAT_MODEL, expected)).length);
  });
});

describe("message validation: 400 with param naming the message", () => {
  const base = { model: CHAT_MODEL, max_tokens: 1 };

  test("an empty message list", async () => {
    await expectRefused(chat(ctx.client, { messages: [] }), { status: 400, param: "messages", message: [/at least one message/] });
  });

  test("an unknown role", async () => {
    const res = await postJson(ctx.server.url, "/v1/chat/completions", { ...base, messages: [{ role: "robot", content: "hi" }] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.param).toBe("messages[0].role");
    expect(body.error.message).toContain("robot");
  });

  test("malformed messages name the message and the field", async () => {
    const cases: { messages: unknown[]; param: string }[] = [
      { messages: [{ role: "user", content: "ok" }, "just a string"], param: "messages[1]" },
      { messages: [{ role: "user", content: "ok" }, null], param: "messages[1]" },
      { messages: [{ content: "no role" }], param: "messages[0].role" },
      { messages: [{ role: 7, content: "hi" }], param: "messages[0].role" },
      { messages: [{ role: "user" }], param: "messages[0].content" },
      { messages: [{ role: "user", content: 42 }], param: "messages[0].content" },
      { messages: [{ role: "user", content: "ok" }, { role: "user", content: [{ type: "text", text: 5 }] }], param: "messages[1].content[0].text" },
      { messages: [{ role: "user", content: "hi", name: 3 }], param: "messages[0].name" },
      // Tool-call history is checked field by field, never dropped.
      { messages: [{ role: "user", content: "hi" }, { role: "assistant", content: null, tool_calls: { id: "c1" } }], param: "messages[1].tool_calls" },
      { messages: [{ role: "user", content: "hi" }, { role: "assistant", content: null, tool_calls: [{ type: "function", function: { name: "f", arguments: "{}" } }] }], param: "messages[1].tool_calls[0].id" },
      { messages: [{ role: "user", content: "hi" }, { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: { a: 1 } } }] }], param: "messages[1].tool_calls[0].function.arguments" },
      { messages: [{ role: "user", content: "hi" }, { role: "user", content: "x", tool_calls: [] }], param: "messages[1].tool_calls" },
      { messages: [{ role: "user", content: "hi" }, { role: "tool", content: "sunny" }], param: "messages[1].tool_call_id" },
    ];
    for (const c of cases) {
      const res = await postJson(ctx.server.url, "/v1/chat/completions", { ...base, messages: c.messages });
      const body = (await res.json()) as ErrorBody;
      expect({ status: res.status, param: body.error.param, type: body.error.type }).toEqual({ status: 400, param: c.param, type: "invalid_request_error" });
    }
  });

  test("a non-text content part is refused by its type, never dropped", async () => {
    for (const part of [
      { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
      { type: "input_audio", input_audio: { data: "AAAA", format: "wav" } },
    ] as const) {
      const err = await expectRefused(
        chat(ctx.client, { messages: [{ role: "system", content: "x" }, { role: "user", content: [{ type: "text", text: "Look:" }, part] }], max_tokens: 1 }),
        { status: 400, param: "messages[1].content[1].type" },
      );
      expect(err.message).toContain(part.type);
    }
  });
});

describe("unsupported parameters are refused, never silently ignored", () => {
  const messages = [{ role: "user" as const, content: "hi" }];

  test("response_format text is accepted", async () => {
    const res = await chat(ctx.client, { messages, max_tokens: 2, temperature: 0, response_format: { type: "text" } });
    expect(res.choices[0]!.message.role).toBe("assistant");
  });

  test("the legacy functions / function_call parameters → 400 naming them (tools replace them)", async () => {
    const res = await postJson(ctx.server.url, "/v1/chat/completions", { model: CHAT_MODEL, messages, max_tokens: 1, functions: [{ name: "f", parameters: {} }] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.param).toBe("functions");
    const res2 = await postJson(ctx.server.url, "/v1/chat/completions", { model: CHAT_MODEL, messages, max_tokens: 1, function_call: "auto" });
    expect(((await res2.json()) as ErrorBody).error.param).toBe("function_call");
  });

  test("top_logprobs above 20, or without logprobs → 400 on top_logprobs", async () => {
    await expectRefused(chat(ctx.client, { messages, max_tokens: 1, logprobs: true, top_logprobs: 21 }), { status: 400, param: "top_logprobs" });
    await expectRefused(chat(ctx.client, { messages, max_tokens: 1, top_logprobs: 2 }), { status: 400, param: "top_logprobs", message: [/logprobs/] });
  });
});

describe("a completion-only model", () => {
  test("test-gpt2 (no chat template) → 400 model_not_chat_capable pointing at /v1/completions and chat_template", async () => {
    await expectRefused(chat(ctx.client, { model: COMPLETION_MODEL, messages: [{ role: "user", content: "hi" }], max_tokens: 1 }), {
      status: 400,
      type: "invalid_request_error",
      param: "model",
      code: "model_not_chat_capable",
      message: [/\/v1\/completions/, /chat_template/],
    });
    // …while it still serves completions.
    const ok = await ctx.client.completions.create({ model: COMPLETION_MODEL, prompt: "hi", max_tokens: 1 });
    expect(ok.choices).toHaveLength(1);
  });

  test("an unknown model → 404 model_not_found", async () => {
    await expectRefused(chat(ctx.client, { model: "no-such-model", messages: [{ role: "user", content: "hi" }], max_tokens: 1 }), {
      status: 404,
      param: "model",
      code: "model_not_found",
    });
  });
});
