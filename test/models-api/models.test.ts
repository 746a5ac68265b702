/**
 * GET /v1/models and /v1/models/{id}: every registry entry in OpenAI's Model shape, plus this server's metadata
 * (source, task, capabilities, context length, dtype, device, loaded). The tests run in order on one fresh
 * server: metadata before any model is used, then after each has served a request.
 */
import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { chat, CHAT_MODEL, COMPLETION_MODEL, EMBED_MODEL, expectRefused, testModelsDir, type ErrorBody } from "../chat/chat-kit.ts";
import { testRegistryPath, useServer } from "../helpers/start-server.ts";

const ctx = useServer({ env: { ENABLE_EMBEDDINGS_BACKEND: "true" } });

interface ModelDetail {
  id: string;
  object: string;
  created: number;
  owned_by: string;
  source: { path?: string; hf_repo?: string; revision?: string };
  task: string;
  capabilities: string[];
  max_model_len: number | null;
  dtype: string;
  device: string;
  loaded: boolean;
}

async function detail(id: string): Promise<ModelDetail> {
  const res = await fetch(`${ctx.server.url}/v1/models/${encodeURIComponent(id)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as ModelDetail;
}

/** The test models every test-model folder has; others (e.g. test-gpt2-small) are listed when they were built. */
const REGISTRY = [COMPLETION_MODEL, CHAT_MODEL, EMBED_MODEL];

/** Names in the registry file the server was started with, in file order. */
function registryNames(): string[] {
  const entries = parse(fs.readFileSync(testRegistryPath(), "utf8")) as { name: string }[];
  return entries.map((e) => e.name);
}

describe("GET /v1/models", () => {
  test("lists every registry entry as an OpenAI Model object", async () => {
    const page = await ctx.client.models.list();
    expect(registryNames()).toEqual(expect.arrayContaining(REGISTRY));
    expect(page.data.map((m) => m.id)).toEqual(registryNames());
    for (const m of page.data) {
      expect(m.object).toBe("model");
      expect(Number.isInteger(m.created)).toBe(true);
      expect(m.created).toBeGreaterThan(1_600_000_000);
      expect(typeof m.owned_by).toBe("string");
      expect(m.owned_by.length).toBeGreaterThan(0);
    }
    const raw = (await (await fetch(`${ctx.server.url}/v1/models`)).json()) as { object: string };
    expect(raw.object).toBe("list");
  });

  test("the official client's retrieve gives the same Model object", async () => {
    const listed = (await ctx.client.models.list()).data.find((m) => m.id === CHAT_MODEL);
    const one = await ctx.client.models.retrieve(CHAT_MODEL);
    expect({ id: one.id, object: one.object, created: one.created, owned_by: one.owned_by }).toEqual({
      id: listed!.id,
      object: listed!.object,
      created: listed!.created,
      owned_by: listed!.owned_by,
    });
  });
});

describe("GET /v1/models/{id}", () => {
  test("before first use: metadata from the registry, loaded false", async () => {
    for (const id of REGISTRY) {
      const d = await detail(id);
      expect(d.id).toBe(id);
      expect(d.object).toBe("model");
      expect(d.loaded).toBe(false);
      expect(d.source.path).toBe(path.join(testModelsDir(), id));
      expect(d.dtype).toBe("fp32");
      expect(d.device).toBe("cpu");
    }
    const gen = await detail(COMPLETION_MODEL);
    expect(gen.task).toBe("text-generation");
    expect(gen.capabilities).toEqual(["completion"]);
    const emb = await detail(EMBED_MODEL);
    expect(emb.task).toBe("embeddings");
    expect(emb.capabilities).toEqual(["embeddings"]);
    expect((await detail(CHAT_MODEL)).task).toBe("text-generation");
  });

  test("after serving a request: loaded true, capabilities from the model's files, its context length", async () => {
    await chat(ctx.client, { messages: [{ role: "user", content: "hi" }], max_tokens: 1 });
    await ctx.client.completions.create({ model: COMPLETION_MODEL, prompt: "hi", max_tokens: 1 });
    await ctx.client.embeddings.create({ model: EMBED_MODEL, input: "hi", encoding_format: "float" });

    const chatModel = await detail(CHAT_MODEL);
    expect(chatModel).toMatchObject({ loaded: true, task: "text-generation", max_model_len: 2048, dtype: "fp32", device: "cpu" });
    // test-chat's tokenizer has a chat template, so once loaded it can chat.
    expect([...chatModel.capabilities].sort()).toEqual(["chat", "completion"]);

    const gen = await detail(COMPLETION_MODEL);
    expect(gen).toMatchObject({ loaded: true, task: "text-generation", max_model_len: 1024, device: "cpu" });
    expect(gen.capabilities).toEqual(["completion"]);

    const emb = await detail(EMBED_MODEL);
    expect(emb).toMatchObject({ loaded: true, task: "embeddings", max_model_len: 512, device: "cpu" });
    expect(emb.capabilities).toEqual(["embeddings"]);
  });

  test("an unknown id → 404 model_not_found, also for ids with a slash", async () => {
    await expectRefused(ctx.client.models.retrieve("no-such-model"), { status: 404, code: "model_not_found", message: [/no-such-model/] });
    const res = await fetch(`${ctx.server.url}/v1/models/some-org/no-such-model`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe("model_not_found");
    expect(body.error.message).toContain("some-org/no-such-model");
  });
});
