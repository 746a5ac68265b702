/**
 * `gpt3dev-api pull` / `list` through the real entry point (bun run src/index.ts), as `bun run pull` runs them.
 */
import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { runCli } from "../helpers/start-server.ts";
import { GPT2_REPO, ONNX, removeTempDirs, SLOW_MS, startTestHub, tempDir } from "./hub-test-kit.ts";

const hub = await startTestHub({ token: "hf_entry" });
afterAll(async () => {
  await hub.stop();
  removeTempDirs();
});

test("pull downloads, list shows it cached, an unknown id exits 2", async () => {
  const dir = tempDir("cli-entry-");
  const registry = join(dir, "registry.yaml");
  writeFileSync(registry, stringify([{ name: "hub-gpt2", hf_repo: GPT2_REPO }]));
  const env = { MODEL_REGISTRY_PATH: registry, INCLUDE_DEFAULT_MODELS: "false", HF_ENDPOINT: hub.url, HF_TOKEN: "hf_entry", MODEL_CACHE_DIR: join(dir, "cache"), HF_HUB_OFFLINE: "0" };

  const pull = await runCli(["pull", "hub-gpt2"], env);
  expect(pull.code).toBe(0);
  expect(pull.stdout).toContain(`hub-gpt2: ready (${GPT2_REPO}@main, fp32) in ${join(dir, "cache", "test--test-gpt2", "main")}`);
  expect(pull.stderr).toContain(`hub: downloading ${GPT2_REPO}@main`);
  expect(hub.gets(`${GPT2_REPO}/${ONNX}`)).toBe(1);

  const list = await runCli(["list"], env);
  expect(list.code).toBe(0);
  expect(list.stdout).toMatch(/hub-gpt2\s+hf:test\/test-gpt2@main\s+text-generation\s+fp32\s+yes/);

  const unknown = await runCli(["pull", "nope"], env);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain("unknown model 'nope'");
}, SLOW_MS);
