/**
 * Registry entries as the running server serves them: a JSON file with a path relative to itself, only the
 * file's models when INCLUDE_DEFAULT_MODELS=false comes from the environment, a built-in overridden by a YAML
 * entry, and a model that fails to load answers an OpenAI 503 (others unaffected) and is retried next time.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type OpenAI from "openai";
import { stringify as toYaml } from "yaml";
import { BUILTIN_MODELS } from "../../src/registry/builtin-models.ts";
import { apiError, complete, expectErrorBody, health, postRaw } from "../completions/completion-client.ts";
import { openaiClient, startServer, type TestServer } from "../helpers/start-server.ts";

const testModel = (name: string) => path.join(process.env.TEST_MODELS_DIR!, name);

interface ModelDetail {
  id: string;
  source: { path?: string; hf_repo?: string };
  loaded: boolean;
  state: string;
  error?: string;
}

async function detail(server: TestServer, id: string): Promise<ModelDetail> {
  return (await (await fetch(`${server.url}/v1/models/${encodeURIComponent(id)}`)).json()) as ModelDetail;
}

async function modelIds(server: TestServer): Promise<string[]> {
  return ((await (await fetch(`${server.url}/v1/models`)).json()) as { data: { id: string }[] }).data.map((m) => m.id);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "gpt3dev-serving-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("a JSON registry with relative paths, INCLUDE_DEFAULT_MODELS=false from the environment", () => {
  let server: TestServer;
  let client: OpenAI;
  let ghostDir: string;

  beforeAll(async () => {
    mkdirSync(path.join(dir, "models"));
    mkdirSync(path.join(dir, "conf"));
    symlinkSync(testModel("test-gpt2"), path.join(dir, "models", "gpt2"));
    ghostDir = path.join(dir, "models", "ghost");
    // A folder whose weights are not an ONNX model at all.
    const corrupt = path.join(dir, "models", "corrupt");
    mkdirSync(path.join(corrupt, "onnx"), { recursive: true });
    for (const f of ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"]) cpSync(path.join(testModel("test-gpt2"), f), path.join(corrupt, f));
    writeFileSync(path.join(corrupt, "onnx", "model.onnx"), "this is not a protobuf");
    const file = path.join(dir, "conf", "models.json");
    writeFileSync(
      file,
      JSON.stringify([
        { name: "rel-gpt2", path: "../models/gpt2", tiktoken_encoding: "gpt2" },
        { name: "ghost", path: "../models/ghost" },
        { name: "corrupt", path: "../models/corrupt" },
      ]),
    );
    server = await startServer({
      baseArgs: ["--port", "0", "--host", "127.0.0.1", "--registry", file, "--offline"],
      env: { INCLUDE_DEFAULT_MODELS: "false", MODEL_CACHE_DIR: path.join(dir, "cache") },
    });
    client = openaiClient(server.baseURL);
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("only the file's entries are listed", async () => {
    expect(await modelIds(server)).toEqual(["rel-gpt2", "ghost", "corrupt"]);
  });

  test("a path relative to the registry file serves its model", async () => {
    expect((await detail(server, "rel-gpt2")).source.path).toBe(path.join(dir, "models", "gpt2"));
    const r = await complete(client, { model: "rel-gpt2", prompt: "Relative paths", max_tokens: 3, temperature: 0 });
    expect(r.model).toBe("rel-gpt2");
    expect(r.usage!.completion_tokens).toBe(3);
  });

  test("a model whose folder is missing answers an OpenAI 503 naming it; other models still serve", async () => {
    const raw = await postRaw(server.url, { model: "ghost", prompt: "x", max_tokens: 1 });
    expect(raw.status).toBe(503);
    const body = expectErrorBody(raw.text);
    expect(body.error.param).toBe("model");
    expect(body.error.message).toContain("ghost");
    expect(body.error.message).toContain(ghostDir);
    const err = await apiError(complete(client, { model: "ghost", prompt: "x", max_tokens: 1 }));
    expect(err.status).toBe(503);
    const other = await complete(client, { model: "rel-gpt2", prompt: "still here", max_tokens: 2 });
    expect(other.choices).toHaveLength(1);
    expect((await detail(server, "ghost")).state).toBe("failed");
  });

  test("a corrupt model file answers an OpenAI error, not a crash", async () => {
    const raw = await postRaw(server.url, { model: "corrupt", prompt: "x", max_tokens: 1 });
    expect(raw.status).toBe(503);
    expect(expectErrorBody(raw.text).error.message).toContain("corrupt");
    expect((await health(server.url)).status).toBe("ok");
  });

  test("a failed load is retried on the next request: once the folder exists, the model serves", async () => {
    const first = await apiError(complete(client, { model: "ghost", prompt: "x", max_tokens: 1 }));
    expect(first.status).toBe(503);
    cpSync(testModel("test-gpt2"), ghostDir, { recursive: true });
    const r = await complete(client, { model: "ghost", prompt: "Back from the dead", max_tokens: 3, temperature: 0 });
    expect(r.usage!.completion_tokens).toBe(3);
    // Same weights as rel-gpt2, so the same greedy text.
    const same = await complete(client, { model: "rel-gpt2", prompt: "Back from the dead", max_tokens: 3, temperature: 0 });
    expect(r.choices[0]!.text).toBe(same.choices[0]!.text);
    const d = await detail(server, "ghost");
    expect(d.loaded).toBe(true);
    expect(d.state).toBe("loaded");
  });
});

describe("a YAML {models: [...]} registry overriding a built-in", () => {
  let server: TestServer;
  let client: OpenAI;

  beforeAll(async () => {
    const file = path.join(dir, "override.yaml");
    writeFileSync(file, toYaml({ models: [{ name: "GPT-2", path: testModel("test-gpt2"), tiktoken_encoding: "gpt2", device: "cpu" }] }));
    server = await startServer({ args: ["--registry", file, "--include-default-models=true", "--offline", "--cache-dir", path.join(dir, "cache2")] });
    client = openaiClient(server.baseURL);
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("every built-in id is listed once, the overridden one included", async () => {
    const ids = await modelIds(server);
    expect(ids.sort()).toEqual(BUILTIN_MODELS.map((m) => m.name).sort());
  });

  test("the override's local folder serves GPT-2; the other built-ins keep their hub repos", async () => {
    expect((await detail(server, "GPT-2")).source).toEqual({ path: testModel("test-gpt2") });
    const r = await complete(client, { model: "GPT-2", prompt: "Overridden", max_tokens: 2 });
    expect(r.usage!.completion_tokens).toBe(2);
    expect((await detail(server, "GPT3-dev")).source.hf_repo).toBe("k050506koch/GPT3-dev");
  });

  test("a built-in that is not cached, offline, is a 503 naming its repo; the server stays up", async () => {
    const err = await apiError(complete(client, { model: "GPT3-dev-125m", prompt: "x", max_tokens: 1 }));
    expect(err.status).toBe(503);
    expect(err.message).toContain("k050506koch/GPT3-dev-125m");
    expect((await health(server.url)).status).toBe("ok");
  });
});
