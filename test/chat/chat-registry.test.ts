/**
 * Registry entries change what chat can do: `chat_template` makes a completion-only model chat-capable (and
 * gets each message's `name`), and `max_context_tokens` bounds the default completion length ("the rest of
 * the context"). Served from a registry this test writes, pointing at the generated test-model folders.
 */
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { useServer } from "../helpers/start-server.ts";
import { chat, COMPLETION_MODEL, expectRefused, testModelsDir, tokenIds } from "./chat-kit.ts";

/** A deliberately non-ChatML template, so the rendered prompt can only come from the registry entry. */
const TEMPLATE =
  "{% for m in messages %}{{ m['role'] }}{% if m['name'] %} ({{ m['name'] }}){% endif %}: {{ m['content'] }}\n{% endfor %}" +
  "{% if add_generation_prompt %}assistant:{% endif %}";
const GPT2_CHAT = "gpt2-with-template";
const SHORT_CHAT = "test-chat-ctx40";
const SHORT_CONTEXT = 40;

let tmp: string;

const ctx = useServer(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chat-registry-"));
  const registry = path.join(tmp, "registry.yaml");
  fs.writeFileSync(
    registry,
    stringify([
      { name: GPT2_CHAT, path: path.join(testModelsDir(), "test-gpt2"), dtype: "fp32", device: "cpu", chat_template: TEMPLATE },
      { name: SHORT_CHAT, path: path.join(testModelsDir(), "test-chat"), dtype: "fp32", device: "cpu", max_context_tokens: SHORT_CONTEXT },
    ]),
  );
  return { args: ["--registry", registry] };
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("chat_template in the registry", () => {
  test("makes a copy of test-gpt2 chat-capable, rendering the entry's template with message names", async () => {
    const messages = [
      { role: "system" as const, content: "Be brief." },
      { role: "user" as const, content: "Hello", name: "alice" },
    ];
    const expectedText = "system: Be brief.\nuser (alice): Hello\nassistant:";
    const expectedIds = await tokenIds(COMPLETION_MODEL, expectedText);

    const res = await chat(ctx.client, { model: GPT2_CHAT, messages, temperature: 0, max_tokens: 4, logprobs: true, top_logprobs: 2 });
    expect(res.model).toBe(GPT2_CHAT);
    expect(res.usage?.prompt_tokens).toBe(expectedIds.length);

    // The same ids sent as a raw completion give the same greedy answer, token by token.
    const raw = await ctx.client.completions.create({ model: GPT2_CHAT, prompt: expectedIds, temperature: 0, max_tokens: 4, logprobs: 2 });
    expect(res.choices[0]!.message.content).toBe(raw.choices[0]!.text);
    const chatLp = (res.choices[0]!.logprobs?.content ?? []).map((t) => t.logprob);
    const rawLp = raw.choices[0]!.logprobs?.token_logprobs ?? [];
    expect(chatLp).toHaveLength(4);
    chatLp.forEach((v, i) => expect(v).toBeCloseTo(rawLp[i]!, 4));

    // Without the name the prompt is shorter by exactly the " (alice)" tokens.
    const unnamed = await chat(ctx.client, { model: GPT2_CHAT, messages: [messages[0]!, { role: "user", content: "Hello" }], temperature: 0, max_tokens: 1 });
    expect(unnamed.usage?.prompt_tokens).toBe((await tokenIds(COMPLETION_MODEL, "system: Be brief.\nuser: Hello\nassistant:")).length);
  });

  test("the model's metadata lists chat among its capabilities", async () => {
    const res = await fetch(`${ctx.server.url}/v1/models/${GPT2_CHAT}`);
    expect(res.status).toBe(200);
    const detail = (await res.json()) as { capabilities: string[] };
    expect(detail.capabilities).toContain("chat");
    expect(detail.capabilities).toContain("completion");
  });
});

describe("completion length defaults to the rest of the context", () => {
  test("without max_tokens or max_completion_tokens, generation runs until the context is full", async () => {
    const res = await chat(ctx.client, { model: SHORT_CHAT, messages: [{ role: "user", content: "Count with me" }], ignore_eos: true, temperature: 0 });
    const prompt = res.usage?.prompt_tokens ?? NaN;
    expect(prompt).toBeGreaterThan(0);
    expect(prompt).toBeLessThan(SHORT_CONTEXT);
    expect(res.usage?.completion_tokens).toBe(SHORT_CONTEXT - prompt);
    expect(res.choices[0]!.finish_reason).toBe("length");
  });

  test("asking for more than the rest of the context → 400 context_length_exceeded on the field used", async () => {
    const messages = [{ role: "user" as const, content: "Count with me" }];
    await expectRefused(chat(ctx.client, { model: SHORT_CHAT, messages, max_tokens: SHORT_CONTEXT }), {
      status: 400,
      param: "max_tokens",
      code: "context_length_exceeded",
    });
    await expectRefused(chat(ctx.client, { model: SHORT_CHAT, messages, max_completion_tokens: SHORT_CONTEXT }), {
      status: 400,
      param: "max_completion_tokens",
      code: "context_length_exceeded",
    });
  });

  test("a conversation that alone fills the context, with no length asked for → 400 context_length_exceeded on messages", async () => {
    // Exactly the context: nothing left to generate.
    const fits = await chat(ctx.client, { model: SHORT_CHAT, messages: [{ role: "user", content: "x" }], max_tokens: 1 });
    const overhead = (fits.usage?.prompt_tokens ?? NaN) - 1; // the template's tokens around a one-token message
    const exact = " x".repeat(SHORT_CONTEXT - overhead);
    await expectRefused(chat(ctx.client, { model: SHORT_CHAT, messages: [{ role: "user", content: exact }] }), {
      status: 400,
      param: "messages",
      code: "context_length_exceeded",
    });
  });

  // With no length asked for, an over-long conversation is the messages' fault, not a field the client never sent.
  test("a conversation longer than the context, with no length asked for → 400 on messages, not max_tokens", async () => {
    await expectRefused(chat(ctx.client, { model: SHORT_CHAT, messages: [{ role: "user", content: " x".repeat(SHORT_CONTEXT + 10) }] }), {
      status: 400,
      param: "messages",
      code: "context_length_exceeded",
    });
  });
});
