/** `gpt3dev-api pull` and `list` against the fake hub, with a registry file and captured output. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { runList } from "../../src/cli/list-command.ts";
import { runPull } from "../../src/cli/pull-command.ts";
import type { CliOutput } from "../../src/cli/cli-output.ts";
import { loadSettings } from "../../src/config/load-settings.ts";
import type { Settings } from "../../src/config/settings-spec.ts";
import type { FakeHub } from "../helpers/fake-hub.ts";
import { testModelPath } from "../models/test-models-dir.ts";
import { removeTempDirs, startTestHub, tempDir, SLOW_MS } from "./hub-test-kit.ts";

let hub: FakeHub;
let registryPath = "";
let cacheDir = "";

beforeAll(async () => {
  const gpt3dev = join(tempDir("gpt3dev-"), "GPT3-dev-test");
  cpSync(testModelPath("test-gpt2"), gpt3dev, { recursive: true });
  const config = JSON.parse(readFileSync(join(gpt3dev, "config.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(join(gpt3dev, "config.json"), JSON.stringify({ ...config, model_type: "gpt3dev" }));
  hub = await startTestHub({ token: "hf_cli" }, [{ repo: "k050506koch/GPT3-dev-test", dir: gpt3dev }]);
  const dir = tempDir("cli-");
  cacheDir = join(dir, "cache");
  registryPath = join(dir, "registry.yaml");
  writeFileSync(
    registryPath,
    stringify([
      { name: "hub-gpt2", hf_repo: "test/test-gpt2", device: "cpu" },
      { name: "hub-embed", hf_repo: "test/test-embed", task: "embeddings", device: "cpu" },
      { name: "local-gpt2", path: testModelPath("test-gpt2") },
      { name: "gpt3dev-raw", hf_repo: "k050506koch/GPT3-dev-test" },
      { name: "gpt3dev-fixed", hf_repo: "k050506koch/GPT3-dev-test", model_type: "gpt2" },
    ]),
  );
});

afterAll(async () => {
  await hub.stop();
  removeTempDirs();
});

function settings(extra: Record<string, string> = {}): { settings: Settings; env: Record<string, string> } {
  const env = { MODEL_REGISTRY_PATH: registryPath, INCLUDE_DEFAULT_MODELS: "0", HF_ENDPOINT: hub.url, HF_TOKEN: "hf_cli", MODEL_CACHE_DIR: cacheDir, ...extra };
  return { settings: loadSettings([], env).settings, env };
}

function capture(): CliOutput & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, out: (l) => void outLines.push(l), err: (l) => void errLines.push(l) };
}

/** The CACHED column of each row of `list`, by model id. */
async function cachedColumn(): Promise<Record<string, string>> {
  const io = capture();
  const { settings: s, env } = settings();
  expect(await runList(s, env, io)).toBe(0);
  expect(io.outLines[0]).toMatch(/^ID\s+SOURCE\s+TASK\s+DTYPE\s+CACHED$/);
  expect(io.outLines.at(-1)).toBe(`Model cache: ${cacheDir}`);
  const rows = io.outLines.slice(1, -2).map((l) => l.split(/\s{2,}/));
  return Object.fromEntries(rows.map((r) => [r[0]!, r.at(-1)!]));
}

test("list before any pull: hub models not cached, local ones local", async () => {
  expect(await cachedColumn()).toEqual({ "hub-gpt2": "no", "hub-embed": "no", "local-gpt2": "local", "gpt3dev-raw": "no", "gpt3dev-fixed": "no" });
}, SLOW_MS);

test("pull with an unknown id exits 2 before downloading anything", async () => {
  const io = capture();
  const { settings: s, env } = settings();
  const before = hub.requests.length;
  expect(await runPull(["hub-gpt2", "nope"], s, env, io)).toBe(2);
  // Run from source, the command that shows the registry is the package script.
  expect(io.errLines).toEqual(["gpt3dev-api pull: unknown model 'nope': not in the registry ('bun run start -- list' shows it)"]);
  expect(hub.requests.length).toBe(before);
}, SLOW_MS);

test("pull with no ids exits 2 with a usage line", async () => {
  const io = capture();
  const { settings: s, env } = settings();
  expect(await runPull([], s, env, io)).toBe(2);
  expect(io.errLines[0]).toContain("name at least one model");
}, SLOW_MS);

test("pull downloads hub models, reports local ones, and list shows them cached", async () => {
  const io = capture();
  const { settings: s, env } = settings();
  expect(await runPull(["hub-gpt2", "hub-embed", "local-gpt2"], s, env, io)).toBe(0);
  expect(io.outLines[0]).toBe(`hub-gpt2: ready (test/test-gpt2@main, fp32) in ${join(cacheDir, "test--test-gpt2", "main")}`);
  expect(io.outLines[1]).toStartWith("hub-embed: ready (test/test-embed@main, fp32)");
  expect(io.outLines[2]).toBe(`local-gpt2: local model at ${testModelPath("test-gpt2")}; nothing to pull`);
  expect(io.errLines.some((l) => l.startsWith("hub: downloading test/test-gpt2@main"))).toBe(true);
  expect(await cachedColumn()).toMatchObject({ "hub-gpt2": "yes", "hub-embed": "yes", "local-gpt2": "local" });
}, SLOW_MS);

test("pull of a model the server would refuse exits 1 naming model_type; with the override it is ready", async () => {
  const io = capture();
  const { settings: s, env } = settings();
  expect(await runPull(["gpt3dev-raw", "gpt3dev-fixed"], s, env, io)).toBe(1);
  expect(io.errLines.find((l) => l.startsWith("gpt3dev-raw: "))).toContain("set 'model_type' in its registry entry");
  expect(io.outLines).toEqual([expect.stringContaining("gpt3dev-fixed: ready")]);
}, SLOW_MS);

test("pull without the token exits 1 with the hub's refusal", async () => {
  const io = capture();
  const { settings: s, env } = settings({ HF_TOKEN: "", MODEL_CACHE_DIR: join(cacheDir, "other") });
  expect(await runPull(["hub-gpt2"], s, env, io)).toBe(1);
  expect(io.errLines.at(-1)).toContain("no HF_TOKEN was sent");
}, SLOW_MS);

test("offline pull of a cached model succeeds without the hub; of an uncached one exits 1", async () => {
  const io = capture();
  const { settings: s, env } = settings({ HF_HUB_OFFLINE: "1", HF_ENDPOINT: "http://127.0.0.1:1" });
  expect(await runPull(["hub-gpt2"], s, env, io)).toBe(0);
  const other = settings({ HF_HUB_OFFLINE: "1", MODEL_CACHE_DIR: join(cacheDir, "empty") });
  expect(await runPull(["hub-gpt2"], other.settings, other.env, io)).toBe(1);
  expect(io.errLines.at(-1)).toContain("is not cached");
}, SLOW_MS);

test("a broken registry file exits 2 with its message", async () => {
  const io = capture();
  const bad = join(tempDir("cli-bad-"), "registry.yaml");
  writeFileSync(bad, "- name: x\n  hf_repo: a/b\n  colour: blue\n");
  const { settings: s, env } = settings({ MODEL_REGISTRY_PATH: bad });
  expect(await runList(s, env, io)).toBe(2);
  expect(await runPull(["x"], s, env, io)).toBe(2);
  expect(io.errLines[0]).toContain("field 'colour': unknown field");
}, SLOW_MS);
