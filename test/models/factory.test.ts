/** The factory is deterministic and idempotent, and its registry points at the folders it wrote. */
import { afterAll, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { CHECKPOINT_RECIPES, ensureTestModels, QUALITY_RECIPES } from "../../scripts/make-test-models.ts";
import type { RegistryEntry } from "../../scripts/onnx/test-model-recipes.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "test-models-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function listFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, encoding: "utf8" }) as string[])
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

function mtimes(dir: string): Record<string, number> {
  return Object.fromEntries(listFiles(dir).map((f) => [f, fs.statSync(path.join(dir, f)).mtimeMs]));
}

const CHECKPOINTS = [...CHECKPOINT_RECIPES, ...QUALITY_RECIPES].map((r) => r.name);

test("two fresh runs write byte-identical files", async () => {
  const [a, b] = [path.join(tmp, "a"), path.join(tmp, "b")];
  // The exports, then the converter's test checkpoints (which registry.yaml does not list).
  expect((await ensureTestModels({ dir: a })).written).toEqual(["test-gpt2", "test-chat", "test-embed", "test-hermes", "test-llama3", ...CHECKPOINTS]);
  await ensureTestModels({ dir: b });
  const files = listFiles(a);
  expect(files).toEqual(listFiles(b));
  for (const model of ["test-gpt2", "test-chat", "test-embed", "test-hermes", "test-llama3"]) {
    for (const f of ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"]) {
      expect(files).toContain(`${model}/${f}`);
    }
  }
  for (const r of [...CHECKPOINT_RECIPES, ...QUALITY_RECIPES]) for (const f of r.files) expect(files).toContain(`${r.name}/${f}`);
  for (const f of files) expect(Bun.hash(fs.readFileSync(path.join(a, f)))).toBe(Bun.hash(fs.readFileSync(path.join(b, f))));
});

test("a second run rewrites nothing; a stale stamp rebuilds only that model", async () => {
  const dir = path.join(tmp, "a");
  const before = mtimes(dir);
  expect((await ensureTestModels({ dir })).written).toEqual([]);
  expect(mtimes(dir)).toEqual(before);

  fs.writeFileSync(path.join(dir, "test-chat", ".stamp"), "stale\n");
  expect((await ensureTestModels({ dir })).written).toEqual(["test-chat"]);
  expect(fs.statSync(path.join(dir, "test-gpt2", "onnx", "model.onnx")).mtimeMs).toBe(before["test-gpt2/onnx/model.onnx"]!);
});

test("registry.yaml lists the models with paths relative to itself", async () => {
  const { registryPath } = await ensureTestModels({ dir: path.join(tmp, "a") });
  const entries = parse(fs.readFileSync(registryPath, "utf8")) as RegistryEntry[];
  expect(entries).toEqual([
    { name: "test-gpt2", path: "test-gpt2", dtype: "fp32", device: "cpu", tiktoken_encoding: "gpt2" },
    { name: "test-chat", path: "test-chat", dtype: "fp32", device: "cpu" },
    { name: "test-embed", path: "test-embed", task: "embeddings", pooling: "mean", normalize: true, device: "cpu" },
    { name: "test-hermes", path: "test-hermes", dtype: "fp32", device: "cpu" },
    { name: "test-llama3", path: "test-llama3", dtype: "fp32", device: "cpu" },
  ]);
  for (const e of entries) expect(fs.existsSync(path.join(path.dirname(registryPath), e.path, "config.json"))).toBe(true);
});

test("the preload exported TEST_MODELS_DIR and the models are there", () => {
  const dir = process.env.TEST_MODELS_DIR ?? "";
  expect(fs.existsSync(path.join(dir, "registry.yaml"))).toBe(true);
  expect(fs.existsSync(path.join(dir, "test-gpt2", "onnx", "model.onnx"))).toBe(true);
});
