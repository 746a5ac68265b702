/**
 * Stored responses against the real server with API keys on: previous_response_id continues a conversation
 * (its input and output, not its instructions: the second turn's input tokens are exactly the rendered
 * three-message conversation), GET and DELETE (OpenAI's delete answer), input_items, store: false, and a
 * response that only the key which created it can see. The store's bounds are the settings', through the
 * real process; ResponseStore's ordering rules with an injected clock.
 */
import { describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { ResponseStore, type StoredResponse } from "../../src/http/responses/response-store.ts";
import { expectRefused } from "../helpers/openai-api.ts";
import { useServer } from "../helpers/start-server.ts";
import { CHAT_MODEL, chatPromptTokens } from "./responses-kit.ts";

const ctx = useServer({ args: ["--api-key", "key-a", "--api-key", "key-b"] });
const as = (key: string) => new OpenAI({ baseURL: ctx.server.baseURL, apiKey: key, maxRetries: 0 });
const auth = { authorization: "Bearer key-a" };
const BASE = { model: CHAT_MODEL, temperature: 0, max_output_tokens: 6 };

describe("previous_response_id", () => {
  test("continues the earlier input and output, without the earlier instructions: exact input tokens", async () => {
    const a = as("key-a");
    const first = await a.responses.create({ ...BASE, instructions: "You are terse.", input: "Name a colour." });
    const second = await a.responses.create({ ...BASE, input: "Another one.", previous_response_id: first.id });
    const conversation: { role: "user" | "assistant"; content: string }[] = [
      { role: "user", content: "Name a colour." },
      { role: "assistant", content: first.output_text },
      { role: "user", content: "Another one." },
    ];
    expect(second.previous_response_id).toBe(first.id);
    expect(second.instructions).toBeNull();
    expect(second.usage!.input_tokens).toBe(await chatPromptTokens(ctx.server.url, conversation, auth));
    expect(second.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens);
    // The same turn through chat: the same prompt and the same greedy text.
    const chat = await a.chat.completions.create({ model: CHAT_MODEL, temperature: 0, max_tokens: 6, messages: conversation });
    expect(second.usage!.input_tokens).toBe(chat.usage!.prompt_tokens);
    expect(second.output_text).toBe(chat.choices[0]!.message.content!);

    // A third turn with new instructions: they lead, the whole chain follows.
    const third = await a.responses.create({ ...BASE, instructions: "Be kind.", input: "And a third.", previous_response_id: second.id });
    const expected = [{ role: "system", content: "Be kind." }, ...conversation, { role: "assistant", content: second.output_text }, { role: "user", content: "And a third." }];
    expect(third.usage!.input_tokens).toBe(await chatPromptTokens(ctx.server.url, expected, auth));
  });

  test("an unknown id is a 400 previous_response_not_found", async () => {
    await expectRefused(as("key-a").responses.create({ ...BASE, input: "x", previous_response_id: "resp_unknown" }), {
      status: 400,
      param: "previous_response_id",
      code: "previous_response_not_found",
      message: [/resp_unknown/],
    });
  });
});

describe("GET, DELETE and input_items", () => {
  test("GET answers the response as created; input_items lists its own input, newest first", async () => {
    const a = as("key-a");
    const created = await a.responses.create({ ...BASE, input: [{ role: "user", content: "one" }, { role: "user", content: "two" }], metadata: { k: "v" } });
    const got = await a.responses.retrieve(created.id);
    expect(got).toEqual(created);
    const page = await a.responses.inputItems.list(created.id);
    const texts = page.data.map((i) => (i.type === "message" && i.content[0]?.type === "input_text" ? i.content[0].text : "?"));
    expect(texts).toEqual(["two", "one"]);
    const asc = await a.responses.inputItems.list(created.id, { order: "asc", limit: 1 });
    expect(asc.data.map((i) => i.id)).toEqual([page.data[1]!.id]);
    expect(asc.has_more).toBe(true);
  });

  test("DELETE answers OpenAI's shape; then GET, DELETE and previous_response_id find nothing", async () => {
    const a = as("key-a");
    const { id } = await a.responses.create({ ...BASE, input: "bye" });
    const res = await fetch(`${ctx.server.url}/v1/responses/${id}`, { method: "DELETE", headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id, object: "response", deleted: true });
    await expectRefused(a.responses.retrieve(id), { status: 404, param: null, message: [new RegExp(id)] });
    await expectRefused(a.responses.delete(id), { status: 404 });
    await expectRefused(a.responses.create({ ...BASE, input: "x", previous_response_id: id }), { status: 400, code: "previous_response_not_found" });
  });

  test("store: false keeps nothing: GET is a 404 and it cannot be continued", async () => {
    const a = as("key-a");
    const r = await a.responses.create({ ...BASE, input: "ephemeral", store: false });
    await expectRefused(a.responses.retrieve(r.id), { status: 404 });
    await expectRefused(a.responses.create({ ...BASE, input: "x", previous_response_id: r.id }), { status: 400, code: "previous_response_not_found" });
  });

  test("an unknown id is a 404 OpenAI error", async () => {
    await expectRefused(as("key-a").responses.retrieve("resp_nothing_here"), { status: 404, type: "invalid_request_error", message: [/resp_nothing_here/] });
  });
});

describe("a stored response belongs to the key that created it", () => {
  test("another key cannot read, list, continue or delete it; its owner still can", async () => {
    const { id } = await as("key-a").responses.create({ ...BASE, input: "mine" });
    const b = as("key-b");
    await expectRefused(b.responses.retrieve(id), { status: 404 });
    await expectRefused(b.responses.inputItems.list(id), { status: 404 });
    await expectRefused(b.responses.delete(id), { status: 404 });
    await expectRefused(b.responses.create({ ...BASE, input: "x", previous_response_id: id }), { status: 400, code: "previous_response_not_found" });
    expect((await as("key-a").responses.retrieve(id)).id).toBe(id);
  });

  test("without a valid key nothing is reachable at all (401)", async () => {
    await expectRefused(as("wrong").responses.create({ ...BASE, input: "x" }), { status: 401, type: "authentication_error" });
    const res = await fetch(`${ctx.server.url}/v1/responses/resp_x`);
    expect(res.status).toBe(401);
  });
});

describe("the store's bounds", () => {
  const small = useServer({ args: ["--responses-store-max", "2", "--responses-store-ttl", "1s"] });

  test("RESPONSES_STORE_MAX evicts the oldest; RESPONSES_STORE_TTL expires them", async () => {
    const ids: string[] = [];
    for (const input of ["a", "b", "c"]) ids.push((await small.client.responses.create({ ...BASE, max_output_tokens: 1, input })).id);
    const status = async (id: string) => (await fetch(`${small.server.url}/v1/responses/${id}`)).status;
    expect(await Promise.all(ids.map(status))).toEqual([404, 200, 200]);
    await Bun.sleep(1100);
    expect(await Promise.all(ids.map(status))).toEqual([404, 404, 404]);
  });
});

describe("ResponseStore", () => {
  const entry = (id: string, owner: string | null = null): StoredResponse => ({ response: { id } as StoredResponse["response"], input: [], conversation: [], owner });

  test("oldest out first, owners apart, expiry by age, 0 keeps none", () => {
    let now = 0;
    const store = new ResponseStore({ maxEntries: 2, ttlMs: 100 }, () => now);
    store.put(entry("a", "k1"));
    now = 50;
    store.put(entry("b", "k1"));
    now = 60;
    store.put(entry("c", "k2"));
    expect([store.get("a", "k1"), store.get("b", "k1")?.response.id, store.get("c", "k2")?.response.id]).toEqual([undefined, "b", "c"]);
    expect(store.get("c", "k1")).toBeUndefined();
    expect(store.delete("c", "k1")).toBe(false);
    expect(store.get("c", "k2")).toBeDefined();
    now = 150;
    expect(store.get("b", "k1")).toBeUndefined();
    expect(store.size).toBe(1);
    now = 250;
    expect(store.size).toBe(0);
    const none = new ResponseStore({ maxEntries: 0, ttlMs: 0 });
    none.put(entry("x"));
    expect(none.get("x", null)).toBeUndefined();
  });
});
