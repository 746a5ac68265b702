/**
 * Constrained decoding inside the continuous batch: constrained and free sequences that share batches give the
 * same tokens (and log-probabilities, to float32 noise) as each request alone; a request with a bad schema or
 * bad tools is refused without disturbing one that is running; and the log-probabilities of constrained output
 * are the model's own distribution — the same numbers /v1/completions gives when it scores those very tokens
 * (echo + logprobs on the same prompt ids), not a distribution renormalized over the allowed tokens.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type OpenAI from "openai";
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming, ChatCompletionTokenLogprob } from "openai/resources/chat/completions";
import { byteToUnicode } from "../../scripts/onnx/gpt2-vocab.ts";
import { chatml, testTokenizer, tokenIds } from "../chat/chat-kit.ts";
import { validate } from "../grammar/grammar-kit.ts";
import { health } from "../batching/batch-client.ts";
import { useServer } from "../helpers/start-server.ts";
import { expectValidCall, functionCalls, TOOLS } from "../tools/tool-kit.ts";

setDefaultTimeout(60_000);
const ctx = useServer({ args: ["--threads", "1"] }); // tiny model: a second thread only adds contention
const LOGPROB_TOLERANCE = 1e-4;

const RECORD = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 1, maxLength: 10 },
    age: { type: "integer", minimum: 0, maximum: 120 },
    tags: { type: "array", items: { enum: ["a", "b", "c"] }, maxItems: 3 },
  },
  required: ["name", "age", "tags"],
  additionalProperties: false,
};
const json = { type: "json_schema", json_schema: { name: "record", schema: RECORD, strict: true } } as const;
const ask = (text: string) => [{ role: "user" as const, content: text }];

type Params = Omit<ChatCompletionCreateParamsNonStreaming, "model"> & { ignore_eos?: boolean };

/** Constrained (schema, forced tool call, json_object) and free requests, greedy and seeded, with logprobs. */
const WORKLOAD: Params[] = [
  { messages: ask("A record, please."), response_format: json, temperature: 0, max_tokens: 120, logprobs: true, top_logprobs: 2 },
  { messages: ask("Another record."), response_format: json, temperature: 1, seed: 21, n: 2, max_tokens: 120, logprobs: true },
  { messages: ask("Free text, greedy."), temperature: 0, max_tokens: 40, ignore_eos: true, logprobs: true },
  { messages: ask("Weather and sums?"), tools: TOOLS, tool_choice: "required", temperature: 0, max_tokens: 300, logprobs: true },
  { messages: ask("Free text, seeded, a longer prompt to change the row's length in the batch."), temperature: 0.9, top_p: 0.9, seed: 8, max_tokens: 50, ignore_eos: true, logprobs: true },
  { messages: ask("An object."), response_format: { type: "json_object" }, logit_bias: { "1": 20, "92": 10, "25": 10, "11": 10 }, temperature: 0, max_tokens: 60, logprobs: true },
  { messages: ask("Weather only."), tools: TOOLS, tool_choice: { type: "function", function: { name: "get_weather" } }, temperature: 1, seed: 3, max_tokens: 300, logprobs: true },
];

function run(client: OpenAI, p: Params): Promise<ChatCompletion> {
  return client.chat.completions.create({ model: "test-chat", ...p } as ChatCompletionCreateParamsNonStreaming);
}

/** What must not change with batching: per choice the text, calls, finish reason, tokens and log-probabilities. */
function expectSame(alone: ChatCompletion, together: ChatCompletion): number {
  let maxDiff = 0;
  expect(together.choices.length).toBe(alone.choices.length);
  alone.choices.forEach((c, i) => {
    const o = together.choices[i]!;
    expect(o.message.content).toBe(c.message.content);
    expect(functionCalls(o.message.tool_calls).map((t) => t.function)).toEqual(functionCalls(c.message.tool_calls).map((t) => t.function));
    expect(o.finish_reason).toBe(c.finish_reason);
    const a = c.logprobs!.content!;
    const b = o.logprobs!.content!;
    expect(b.map((t) => t.bytes)).toEqual(a.map((t) => t.bytes));
    a.forEach((t, k) => (maxDiff = Math.max(maxDiff, Math.abs(t.logprob - b[k]!.logprob))));
  });
  expect(maxDiff).toBeLessThan(LOGPROB_TOLERANCE);
  return maxDiff;
}

describe("constrained and free sequences in one batch", () => {
  test("every request's output together equals its output alone", async () => {
    const alone: ChatCompletion[] = [];
    for (const p of WORKLOAD) alone.push(await run(ctx.client, p));
    // The constrained ones hold to their rules (so the comparison is about constrained output).
    expect(validate(RECORD, alone[0]!.choices[0]!.message.content!).errors).toBe("");
    for (const c of alone[1]!.choices) expect(validate(RECORD, c.message.content!).errors).toBe("");
    for (const call of functionCalls(alone[3]!.choices[0]!.message.tool_calls)) expectValidCall(call);
    expect(JSON.parse(alone[5]!.choices[0]!.message.content!)).toBeInstanceOf(Object);

    let peak = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        peak = Math.max(peak, (await health(ctx.server.url)).active_sequences);
        await Bun.sleep(2);
      }
    })();
    const together = await Promise.all(WORKLOAD.map(async (p, i) => (await Bun.sleep((i % 3) * 3), run(ctx.client, p))));
    const twice = await Promise.all([...WORKLOAD, ...WORKLOAD].map((p) => run(ctx.client, p)));
    watching = false;
    await watcher;

    expect(peak).toBeGreaterThan(4); // they really shared batches
    let diff = 0;
    WORKLOAD.forEach((_, r) => {
      diff = Math.max(diff, expectSame(alone[r]!, together[r]!), expectSame(alone[r]!, twice[r]!), expectSame(alone[r]!, twice[r + WORKLOAD.length]!));
    });
    console.log(`${WORKLOAD.length} requests (5 constrained), peak ${peak} sequences in a batch, max |Δ logprob| ${diff.toExponential(1)}`);
  });

  test("bad schemas and bad tools are refused while a constrained stream runs, and it does not notice", async () => {
    const long: Params = { messages: ask("A long record."), response_format: json, temperature: 1, seed: 77, n: 2, max_tokens: 150 };
    const alone = await run(ctx.client, long);
    const stream = await ctx.client.chat.completions.create({ model: "test-chat", ...long, stream: true } as ChatCompletionCreateParamsStreaming);
    const bad: object[] = [
      { response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { n: { type: "number", maximum: 1 } } } } } },
      { response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { n: { $ref: "#/$defs/Nope" } } } } } },
      { response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "string", pattern: "(?<=a)b" } } } },
      { response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "string", minLength: 9, maxLength: 2 } } } },
      { tools: [{ type: "function", function: { name: "bad name!" } }] },
      { tools: TOOLS, tool_choice: { type: "function", function: { name: "missing" } } },
    ];
    const refused = bad.map((b) => fetch(`${ctx.server.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "test-chat", messages: ask("x"), max_tokens: 5, ...b }) }));
    const texts = ["", ""];
    const finishes: (string | null)[] = [null, null];
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        texts[c.index] += c.delta.content ?? "";
        if (c.finish_reason) finishes[c.index] = c.finish_reason;
      }
    }
    for (const r of await Promise.all(refused)) expect(r.status).toBe(400);
    expect(texts).toEqual(alone.choices.map((c) => c.message.content!));
    expect(finishes).toEqual(alone.choices.map((c) => c.finish_reason));
    // And the engine still serves new constrained requests.
    const after = await run(ctx.client, long);
    expect(after.choices.map((c) => c.message.content)).toEqual(texts);
  });
});

/** Token id by exact bytes in test-chat's vocabulary, from its tokenizer files (GPT-2's byte-level alphabet). */
async function idsByBytes(): Promise<Map<string, number>> {
  const tok = await testTokenizer("test-chat");
  const fromChar = new Map(byteToUnicode().map((ch, byte) => [ch, byte]));
  const map = new Map<string, number>();
  const vocab = tok.get_vocab() as Map<string, number> | Record<string, number>;
  for (const [piece, id] of vocab instanceof Map ? vocab.entries() : Object.entries(vocab)) {
    if (typeof piece !== "string") continue;
    const bytes = [...piece].every((ch) => fromChar.has(ch)) && id < 50256 ? [...piece].map((ch) => fromChar.get(ch)!) : [...Buffer.from(piece, "utf8")];
    map.set(Buffer.from(bytes).toString("hex"), id);
  }
  return map;
}

describe("log-probabilities of constrained output are the model's own", () => {
  test("they equal an unconstrained scoring of the same tokens on the same prompt ids (/v1/completions echo)", async () => {
    const byBytes = await idsByBytes();
    const messages = ask("A record, please.");
    const res = await run(ctx.client, { messages, response_format: json, temperature: 1, seed: 4, max_tokens: 120, logprobs: true, top_logprobs: 1 });
    expect(validate(RECORD, res.choices[0]!.message.content!).errors).toBe("");
    const steps: ChatCompletionTokenLogprob[] = res.choices[0]!.logprobs!.content!;
    const generated = steps.map((t) => byBytes.get(Buffer.from(t.bytes!).toString("hex"))!);
    expect(generated.every((id) => id !== undefined)).toBe(true);
    const promptIds = await tokenIds("test-chat", chatml(messages));
    expect(res.usage!.prompt_tokens).toBe(promptIds.length);

    const scored = await ctx.client.completions.create({ model: "test-chat", prompt: [...promptIds, ...generated], max_tokens: 0, echo: true, logprobs: 0 });
    const reference = scored.choices[0]!.logprobs!.token_logprobs!.slice(promptIds.length);
    expect(reference).toHaveLength(steps.length);
    steps.forEach((t, k) => expect(Math.abs(t.logprob - reference[k]!)).toBeLessThan(LOGPROB_TOLERANCE));
    // The mask did steer: at some steps the model's own favourite (its top candidate) was not allowed, and the
    // token taken reports its own, lower, log-probability rather than a renormalized one.
    const steered = steps.filter((t) => t.top_logprobs[0]!.logprob > t.logprob + 1e-6);
    expect(steered.length).toBeGreaterThan(0);
    expect(steps.some((t) => t.logprob < Math.log(0.5))).toBe(true);
  });
});
