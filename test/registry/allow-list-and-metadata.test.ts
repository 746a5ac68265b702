/**
 * MODEL_ALLOW_LIST and model metadata. In process: the allow list narrows the registry in its own order, an id
 * that no entry has is a start-up error naming it, `description` is shorthand for `metadata.description`, and
 * the built-in GPT3-dev entries carry the original server's facts with their sources. Through the real
 * process: exit 2 for an unknown allow-listed id, `list` and `pull` see only the allowed models, and the server
 * lists, serves and describes only them (GET /v1/models, /v1/models/{id} with metadata, GET /).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify as toYaml } from "yaml";
import { ConfigError, loadSettings } from "../../src/config/load-settings.ts";
import type { ModelDetail } from "../../src/http/models/model-schema.ts";
import type { StatusDocument } from "../../src/http/status/status-schema.ts";
import { BUILTIN_MODELS } from "../../src/registry/builtin-models.ts";
import { loadRegistry } from "../../src/registry/load-registry.ts";
import { runCli, testRegistryPath, useServer } from "../helpers/start-server.ts";

const MODELS_DIR = path.dirname(testRegistryPath());
const CHAT_METADATA = {
  description: "A random-weight Llama-style chat model for tests.",
  parameter_count: "about 1M",
  training_datasets: "none (random weights)",
  evaluation: "none",
  sources: ["scripts/make-test-models.ts"],
};

let dir: string;
let registryFile: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "gpt3dev-allow-"));
  registryFile = path.join(dir, "registry.yaml");
  writeFileSync(
    registryFile,
    toYaml([
      { name: "test-gpt2", path: path.join(MODELS_DIR, "test-gpt2"), device: "cpu", tiktoken_encoding: "gpt2", description: "GPT-2 vocabulary, random weights." },
      { name: "test-chat", path: path.join(MODELS_DIR, "test-chat"), device: "cpu", metadata: CHAT_METADATA },
      { name: "test-embed", path: path.join(MODELS_DIR, "test-embed"), device: "cpu", task: "embeddings" },
    ]),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function registry(argv: string[]) {
  return loadRegistry(loadSettings(["--registry", registryFile, ...argv], {}).settings);
}

describe("in process", () => {
  test("the allow list keeps only its ids, in registry order, built-ins included", () => {
    expect(registry(["--model-allow-list", "test-chat,GPT-2,test-gpt2"]).map((s) => s.id)).toEqual(["GPT-2", "test-gpt2", "test-chat"]);
    expect(loadRegistry(loadSettings([], { MODEL_ALLOW_LIST: "GPT3-dev" }).settings).map((s) => s.id)).toEqual(["GPT3-dev"]);
  });

  test("an id no entry has is a ConfigError naming it (after INCLUDE_DEFAULT_MODELS=false, a built-in is unknown too)", () => {
    const error = (argv: string[]) => {
      try {
        registry(argv);
      } catch (err) {
        if (err instanceof ConfigError) return err.message;
        throw err;
      }
      throw new Error("expected a ConfigError");
    };
    expect(error(["--model-allow-list", "test-chat,nope,also-nope"])).toMatch(/^invalid MODEL_ALLOW_LIST: not in the registry: nope, also-nope/);
    expect(error(["--include-default-models=false", "--model-allow-list", "GPT-2"])).toContain("not in the registry: GPT-2");
  });

  test("description is shorthand for metadata.description; an entry without either has none", () => {
    const specs = registry(["--include-default-models=false"]);
    expect(specs.map((s) => s.metadata)).toEqual([{ description: "GPT-2 vocabulary, random weights." }, CHAT_METADATA, null]);
  });

  test("a description given twice, or an unknown metadata field, stops the registry with the field named", () => {
    for (const [entry, field] of [
      [{ name: "x", path: "p", description: "a", metadata: { description: "b" } }, "description"],
      [{ name: "x", path: "p", metadata: { license: "mit" } }, "metadata"],
      [{ name: "x", path: "p", metadata: { sources: "one" } }, "metadata.sources"],
    ] as const) {
      const file = path.join(dir, `bad-${field}.yaml`);
      writeFileSync(file, toYaml([entry]));
      expect(() => loadRegistry(loadSettings(["--registry", file], {}).settings)).toThrow(new RegExp(`entry 0 \\(x\\): field '${field.replace(".", "\\.")}`));
    }
  });

  test("every built-in GPT3-dev entry carries the author's facts and where they come from", () => {
    const gpt3 = BUILTIN_MODELS.filter((e) => e.name.startsWith("GPT3-dev"));
    expect(gpt3.map((e) => e.name)).toEqual(["GPT3-dev-350m-2805", "GPT3-dev-125m-0104", "GPT3-dev-125m-1202", "GPT3-dev-125m-0612", "GPT3-dev", "GPT3-dev-125m"]);
    for (const e of gpt3) {
      const m = e.metadata!;
      expect(m.description!.length).toBeGreaterThan(10);
      expect(m.parameter_count).toMatch(/^\d+M$/);
      expect(m.training_datasets).toBe("HuggingFaceFW/fineweb");
      expect(m.sources).toEqual([
        "https://github.com/krll-corp/gpt3dev-api/blob/main/app/core/model_registry.py",
        `https://huggingface.co/${e.hf_repo}`,
        "https://github.com/krll-corp/GPT3",
      ]);
    }
    expect(gpt3.find((e) => e.name === "GPT3-dev-350m-2805")!.metadata).toMatchObject({ parameter_count: "350M", evaluation: "28.55% MMLU (author reported)" });
  });
});

describe("the real process", () => {
  test("an allow-listed id that is not in the registry: exit 2, one line naming it", async () => {
    const r = await runCli(["--port", "0", "--registry", registryFile, "--model-allow-list", "test-chat,ghost-model"]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^gpt3dev-api: invalid MODEL_ALLOW_LIST: not in the registry: ghost-model/);
    expect(r.stdout).not.toContain("listening");
  });

  test("list shows and pull takes only the allowed models", async () => {
    const env = { MODEL_ALLOW_LIST: "test-chat" };
    const list = await runCli(["list", "--registry", registryFile, "--include-default-models=false"], env);
    expect(list.code).toBe(0);
    const ids = list.stdout.split("\n").slice(1).filter((l) => l.startsWith("test-")).map((l) => l.split(/\s+/)[0]);
    expect(ids).toEqual(["test-chat"]);
    const pull = await runCli(["pull", "test-gpt2", "--registry", registryFile, "--include-default-models=false"], env);
    expect(pull.code).toBe(2);
    expect(pull.stderr).toContain("unknown model 'test-gpt2'");
  });
});

describe("a server with an allow list", () => {
  const ctx = useServer(() => ({ baseArgs: ["--port", "0", "--host", "127.0.0.1", "--registry", registryFile], args: ["--model-allow-list", "GPT3-dev-125m-0612,test-chat,test-gpt2"] }));

  test("lists and serves only the allowed models", async () => {
    const list = await ctx.client.models.list();
    expect(list.data.map((m) => m.id)).toEqual(["GPT3-dev-125m-0612", "test-gpt2", "test-chat"]);
    const embed = await fetch(`${ctx.server.baseURL}/models/test-embed`);
    expect(embed.status).toBe(404);
    const refused = await fetch(`${ctx.server.baseURL}/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "test-embed", prompt: "x" }) });
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("model_not_found");
    const doc = (await (await fetch(`${ctx.server.url}/`)).json()) as StatusDocument;
    expect(doc.models!.map((m) => m.id)).toEqual(["GPT3-dev-125m-0612", "test-gpt2", "test-chat"]);
  });

  test("GET /v1/models/{id} shows the author's metadata beside what the server measured", async () => {
    const chat = (await (await fetch(`${ctx.server.baseURL}/models/test-chat`)).json()) as ModelDetail;
    expect(chat.metadata).toEqual(CHAT_METADATA);
    expect(chat).toMatchObject({ id: "test-chat", task: "text-generation", dtype: "fp32", loaded: false });
    const builtin = (await (await fetch(`${ctx.server.baseURL}/models/GPT3-dev-125m-0612`)).json()) as ModelDetail;
    expect(builtin.metadata).toMatchObject({ parameter_count: "125M", training_steps: expect.stringContaining("600,000 steps"), evaluation: "27.65% MMLU (author reported)" });
    expect(builtin.metadata!.sources).toContain("https://huggingface.co/k050506koch/GPT3-dev-125m-0612");
    const gpt2 = (await (await fetch(`${ctx.server.baseURL}/models/test-gpt2`)).json()) as ModelDetail;
    expect(gpt2.metadata).toEqual({ description: "GPT-2 vocabulary, random weights." });
  });
});
