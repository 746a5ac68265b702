/**
 * Registry files (src/registry/load-registry.ts): JSON and YAML, a bare array or {models: [...]}, paths relative
 * to the file, overrides of the built-ins, INCLUDE_DEFAULT_MODELS, and start-up errors that name the file, the
 * entry and the field, both as the function's error and as the real process's exit.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify as toYaml } from "yaml";
import { ConfigError, loadSettings } from "../../src/config/load-settings.ts";
import { BUILTIN_MODELS } from "../../src/registry/builtin-models.ts";
import { loadRegistry } from "../../src/registry/load-registry.ts";
import type { ModelSpec } from "../../src/registry/registry-entry.ts";
import { runCli } from "../helpers/start-server.ts";

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "gpt3dev-registry-"));
  mkdirSync(path.join(dir, "conf"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let fileNo = 0;
/** Writes a registry file under <dir>/conf and returns its absolute path. */
function writeRegistry(ext: "json" | "yaml" | "yml", content: unknown): string {
  const file = path.join(dir, "conf", `registry-${++fileNo}.${ext}`);
  writeFileSync(file, typeof content === "string" ? content : ext === "json" ? JSON.stringify(content) : toYaml(content));
  return file;
}

function registry(env: Record<string, string>, argv: string[] = []): ModelSpec[] {
  return loadRegistry(loadSettings(argv, env).settings);
}

function registryError(file: string): ConfigError {
  try {
    registry({ MODEL_REGISTRY_PATH: file, INCLUDE_DEFAULT_MODELS: "false" });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`expected ${file} to be refused`);
}

const ENTRIES = [
  { name: "local-one", path: "../models/one", dtype: "fp32", device: "cpu", max_context_tokens: 512 },
  { name: "hub-one", hf_repo: "owner/repo", revision: "v1", task: "embeddings", pooling: "cls", normalize: false },
  { name: "abs-one", path: "/opt/models/abs", tiktoken_encoding: "gpt2", chat_template: "{{ messages }}" },
];

describe("file formats", () => {
  test("JSON and YAML, bare arrays and {models: [...]}, all give the same entries", () => {
    const files = [writeRegistry("json", ENTRIES), writeRegistry("json", { models: ENTRIES }), writeRegistry("yaml", ENTRIES), writeRegistry("yml", { models: ENTRIES })];
    const results = files.map((f) => registry({ MODEL_REGISTRY_PATH: f, INCLUDE_DEFAULT_MODELS: "false" }));
    for (const specs of results) {
      expect(specs.map((s) => s.id)).toEqual(["local-one", "hub-one", "abs-one"]);
      expect(specs).toEqual(results[0]!);
    }
    const [local, hub, abs] = results[0]!;
    expect(local!.maxContextTokens).toBe(512);
    expect(local!.device).toBe("cpu");
    expect(hub!.source).toEqual({ kind: "hub", repo: "owner/repo", revision: "v1" });
    expect(hub!.task).toBe("embeddings");
    expect(hub!.pooling).toBe("cls");
    expect(hub!.normalize).toBe(false);
    expect(abs!.tiktokenEncoding).toBe("gpt2");
    expect(abs!.chatTemplate).toBe("{{ messages }}");
  });

  test("a relative path is resolved against the registry file's folder, not the working directory", () => {
    const file = writeRegistry("yaml", ENTRIES);
    const [local, , abs] = registry({ MODEL_REGISTRY_PATH: file, INCLUDE_DEFAULT_MODELS: "false" });
    expect(local!.source).toEqual({ kind: "local", path: path.join(dir, "models", "one") });
    expect(abs!.source).toEqual({ kind: "local", path: "/opt/models/abs" });
  });

  test("defaults: hub revision main, fp32, the server's device, text-generation", () => {
    const file = writeRegistry("json", [{ name: "plain", hf_repo: "a/b" }]);
    const [spec] = registry({ MODEL_REGISTRY_PATH: file, INCLUDE_DEFAULT_MODELS: "false", DEFAULT_DEVICE: "cpu" });
    expect(spec!.source).toEqual({ kind: "hub", repo: "a/b", revision: "main" });
    expect(spec!.dtype).toBe("fp32");
    expect(spec!.device).toBe("cpu");
    expect(spec!.task).toBe("text-generation");
  });

  test("GGUF from a hub: `file` names one file of the repo, `owner/name:QUANT` a quantization to pick", () => {
    const file = writeRegistry("yaml", [
      { name: "by-file", hf_repo: "org/repo-GGUF", file: "sub/model-Q4_K_M-00001-of-00002.gguf" },
      { name: "by-quant", hf_repo: "org/repo-GGUF:Q4_K_M", revision: "v2" },
      { name: "local", path: "/models/model.Q8_0.gguf" },
    ]);
    const [byFile, byQuant, local] = registry({ MODEL_REGISTRY_PATH: file, INCLUDE_DEFAULT_MODELS: "false" });
    expect(byFile!.source).toEqual({ kind: "hub", repo: "org/repo-GGUF", revision: "main", gguf: { file: "sub/model-Q4_K_M-00001-of-00002.gguf" } });
    expect(byQuant!.source).toEqual({ kind: "hub", repo: "org/repo-GGUF", revision: "v2", gguf: { quant: "Q4_K_M" } });
    expect(byQuant!.ownedBy).toBe("org");
    expect(local!.source).toEqual({ kind: "local", path: "/models/model.Q8_0.gguf" });
  });

  test("the original server's float32 / float16 / bfloat16 are accepted and mean fp32", () => {
    const file = writeRegistry("yaml", ["float32", "float16", "bfloat16"].map((dtype) => ({ name: dtype, hf_repo: "a/b", dtype })));
    expect(registry({ MODEL_REGISTRY_PATH: file, INCLUDE_DEFAULT_MODELS: "false" }).map((s) => s.dtype)).toEqual(["fp32", "fp32", "fp32"]);
  });
});

describe("built-ins", () => {
  const builtinIds = BUILTIN_MODELS.map((m) => m.name);

  test("without a file the registry is the seed's ids", () => {
    expect(registry({}).map((s) => s.id)).toEqual(builtinIds);
    expect(builtinIds).toEqual(expect.arrayContaining(["GPT3-dev-350m-2805", "GPT3-dev-125m-0104", "GPT3-dev-125m-1202", "GPT3-dev-125m-0612", "GPT3-dev", "GPT3-dev-125m", "GPT-2"]));
    expect(registry({}).find((s) => s.id === "GPT-2")!.source).toEqual({ kind: "hub", repo: "Xenova/gpt2", revision: "main" });
  });

  test("each built-in is owned by the owner of the repo it comes from (GPT-2 by Xenova, not openai-community)", () => {
    for (const spec of registry({})) {
      expect(spec.source.kind).toBe("hub");
      if (spec.source.kind === "hub") expect(spec.ownedBy).toBe(spec.source.repo.split("/")[0]!);
    }
    expect(registry({}).find((s) => s.id === "GPT-2")!.ownedBy).toBe("Xenova");
  });

  test("a file entry with a built-in's name overrides it; the others stay", () => {
    const file = writeRegistry("yaml", [{ name: "GPT-2", path: "/models/my-gpt2" }, { name: "extra", hf_repo: "x/y" }]);
    const specs = registry({ MODEL_REGISTRY_PATH: file });
    expect(specs.map((s) => s.id).sort()).toEqual([...builtinIds, "extra"].sort());
    expect(specs.filter((s) => s.id === "GPT-2")).toHaveLength(1);
    const gpt2 = specs.find((s) => s.id === "GPT-2")!;
    expect(gpt2.source).toEqual({ kind: "local", path: "/models/my-gpt2" });
    expect(gpt2.builtin).toBe(false);
    expect(specs.find((s) => s.id === "GPT3-dev")!.source).toEqual({ kind: "hub", repo: "k050506koch/GPT3-dev", revision: "main" });
  });

  test("INCLUDE_DEFAULT_MODELS=false (or the flag) lists only the file's entries", () => {
    const file = writeRegistry("yaml", [{ name: "only", hf_repo: "x/y" }]);
    expect(registry({ MODEL_REGISTRY_PATH: file, INCLUDE_DEFAULT_MODELS: "false" }).map((s) => s.id)).toEqual(["only"]);
    expect(registry({ MODEL_REGISTRY_PATH: file }, ["--no-include-default-models"]).map((s) => s.id)).toEqual(["only"]);
    expect(registry({ MODEL_REGISTRY_PATH: file, INCLUDE_DEFAULT_MODELS: "false" }, ["--include-default-models"]).length).toBe(builtinIds.length + 1);
  });
});

describe("malformed files name the file, the entry and the field", () => {
  const cases: [string, "json" | "yaml", unknown, string[]][] = [
    ["invalid JSON", "json", '[{"name": "a",', ["JSON"]],
    ["invalid YAML", "yaml", "- name: a\n  path: [unclosed\n", ["YAML"]],
    ["a document that is not a list", "yaml", { name: "a", path: "p" }, ["array"]],
    ["an entry that is not an object", "yaml", [{ name: "ok", path: "p" }, "just a string"], ["entry 1"]],
    ["a field of the wrong value", "yaml", [{ name: "ok", path: "p" }, { name: "bad", path: "p", dtype: "fp64" }], ["entry 1 (bad)", "dtype"]],
    ["a field of the wrong type", "json", [{ name: "bad", path: "p", max_context_tokens: "many" }], ["entry 0 (bad)", "max_context_tokens"]],
    ["an unknown field", "yaml", [{ name: "bad", path: "p", colour: "blue" }], ["entry 0 (bad)", "colour", "unknown field"]],
    ["a missing name", "yaml", [{ path: "p" }], ["entry 0", "name"]],
    ["both hf_repo and path", "yaml", [{ name: "bad", path: "p", hf_repo: "a/b" }], ["entry 0 (bad)", "hf_repo", "path"]],
    ["neither hf_repo nor path", "yaml", [{ name: "bad" }], ["entry 0 (bad)", "hf_repo", "path"]],
    ["a malformed hf_repo", "yaml", [{ name: "bad", hf_repo: "not a repo!" }], ["entry 0 (bad)", "hf_repo"]],
    ["file without hf_repo", "yaml", [{ name: "bad", path: "p", file: "x.gguf" }], ["entry 0 (bad)", "file", "hf_repo"]],
    ["file and a quantization both", "yaml", [{ name: "bad", hf_repo: "a/b:Q4_K_M", file: "x.gguf" }], ["entry 0 (bad)", "file", "not both"]],
    ["a file that leaves the repo", "yaml", [{ name: "bad", hf_repo: "a/b", file: "../x.gguf" }], ["entry 0 (bad)", "file", "../x.gguf"]],
    ["a file that is not GGUF", "yaml", [{ name: "bad", hf_repo: "a/b", file: "model.safetensors" }], ["entry 0 (bad)", "file", ".gguf"]],
    ["a duplicate name", "yaml", [{ name: "twice", path: "p" }, { name: "twice", path: "q" }], ["entry 1 (twice)", "twice"]],
    ["pooling on a text-generation entry", "yaml", [{ name: "bad", path: "p", pooling: "cls" }], ["entry 0 (bad)", "pooling"]],
  ];
  for (const [name, ext, content, mentions] of cases) {
    test(name, () => {
      const file = writeRegistry(ext, content);
      const err = registryError(file);
      expect(err.message).toContain(file);
      for (const m of mentions) expect(err.message).toContain(m);
      expect(err.message).not.toContain("\n");
    });
  }

  test("the server stops at start with exit code 2 and one line naming file, entry and field", async () => {
    const bad = [
      { file: writeRegistry("yaml", [{ name: "ok", path: "p" }, { name: "bad", path: "p", dtype: "fp64" }]), mentions: ["entry 1 (bad)", "dtype"] },
      { file: writeRegistry("json", '{"models": [}'), mentions: ["JSON"] },
      { file: writeRegistry("yaml", [{ name: "bad", path: "p", device: "tpu" }]), mentions: ["entry 0 (bad)", "device"] },
    ];
    const results = await Promise.all(bad.map((b) => runCli(["--port", "0", "--registry", b.file])));
    results.forEach((r, i) => {
      expect(r.code).toBe(2);
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(bad[i]!.file);
      for (const m of bad[i]!.mentions) expect(lines[0]).toContain(m);
      expect(r.stdout).not.toContain("listening");
    });
  });
});
