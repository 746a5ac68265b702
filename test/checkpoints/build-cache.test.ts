/**
 * Builds are made once and kept: the first request builds a checkpoint into the model cache (concurrent first
 * requests share the build, and /v1/models/{id} shows it as `building` with its progress); a restart reuses it
 * without rebuilding; a different checkpoint, or a build from another builder version, is rebuilt; two servers
 * building the same model at once leave one complete build.
 */
import { afterAll, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { writeSafetensors } from "../../scripts/checkpoints/safetensors-writer.ts";
import { gpt2Config, gpt2Tensors } from "../../scripts/onnx/models/gpt2.ts";
import { startServer, type TestServer } from "../helpers/start-server.ts";
import { testModelPath } from "../models/test-models-dir.ts";
import { SLOW_MS } from "../hub/hub-test-kit.ts";
import { expectModelDetailSchema, serverOptions, tempRoot, writeRegistry } from "./served-kit.ts";

const root = tempRoot("build-cache");
const cacheDir = path.join(root, "cache");
const small = path.join(root, "models", "small");
const big = path.join(root, "models", "big");
fs.cpSync(testModelPath("ckpt-gpt2"), small, { recursive: true });
// Many layers, so the build lasts long enough (≈ 0.5 s) to be watched through the API.
const bigSpec = { layers: 32, width: 64, heads: 4, positions: 128, vocabSize: 50257, bosTokenId: 50256, eosTokenId: 50256, tieWordEmbeddings: true, seed: "build-cache-big" };
fs.mkdirSync(big, { recursive: true });
fs.writeFileSync(path.join(big, "config.json"), JSON.stringify(gpt2Config(bigSpec)));
writeSafetensors(path.join(big, "model.safetensors"), gpt2Tensors(bigSpec));
for (const f of ["tokenizer.json", "tokenizer_config.json"]) fs.copyFileSync(path.join(small, f), path.join(big, f));
const registry = writeRegistry(root, [
  { name: "small", path: small, device: "cpu" },
  { name: "big", path: big, device: "cpu" },
]);

const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  fs.rmSync(root, { recursive: true, force: true });
});

async function serve(cache = cacheDir): Promise<TestServer> {
  const server = await startServer(serverOptions(registry, cache));
  servers.push(server);
  return server;
}

async function complete(server: TestServer, model: string): Promise<number> {
  const res = await fetch(`${server.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, prompt: "Hello", max_tokens: 2, temperature: 0 }),
  });
  await res.text();
  return res.status;
}

async function detail(server: TestServer, model: string): Promise<Record<string, any>> {
  return (await (await fetch(`${server.url}/v1/models/${model}`)).json()) as Record<string, any>;
}

const buildDirs = (cache = cacheDir) => fs.readdirSync(path.join(cache, "builds")).sort();
const buildOf = (name: string, cache = cacheDir) => path.join(cache, "builds", buildDirs(cache).find((d) => d.startsWith(`local-${name}-`))!);
const record = (name: string) => {
  const file = path.join(buildOf(name), "build.json");
  return { text: fs.readFileSync(file, "utf8"), mtime: fs.statSync(file).mtimeMs };
};
const buildLines = (server: TestServer, model: string) => server.stderr().split("\n").filter((l) => l.startsWith(`build: ${model}: building`));

let first: { small: ReturnType<typeof record>; big: ReturnType<typeof record> };

test("first use builds once: concurrent requests share the build, watched as state building with progress", async () => {
  const server = await serve();
  expect((await detail(server, "big")).state).toBe("not_loaded");
  const pending = Promise.all([complete(server, "big"), complete(server, "big"), complete(server, "big")]);
  let done = false;
  void pending.then(() => (done = true));
  const seen: Record<string, any>[] = [];
  while (!done) {
    const d = await detail(server, "big");
    if (d.state === "building") seen.push(d);
    await Bun.sleep(5);
  }
  expect(await pending).toEqual([200, 200, 200]);
  expect(seen.length).toBeGreaterThan(0);
  const advanced = seen.find((d) => d.build_progress?.bytes_done > 0);
  expectModelDetailSchema(advanced); // before toMatchObject, whose matchers bun writes into the object it checks
  expect(advanced?.build_progress).toMatchObject({ tensors_done: expect.any(Number), tensors_total: 32 * 12 + 4, bytes_total: expect.any(Number) });
  expect(advanced!.build_progress.percent).toBeGreaterThan(0);
  expect(buildLines(server, "big")).toHaveLength(1);
  expect(server.stderr()).toMatch(/build: big: built gpt2 \([\d,]+ parameters\) in [\d.]+ s/);
  expect(await complete(server, "small")).toBe(200);
  expect(buildLines(server, "small")).toHaveLength(1);
  const loaded = await detail(server, "big");
  expectModelDetailSchema(loaded);
  expect(loaded).toMatchObject({ state: "loaded", format: "safetensors", architecture: "gpt2", parameters: expect.any(Number) });
  first = { small: record("small"), big: record("big") };
  await server.stop();
}, SLOW_MS);

test("a second start reuses both builds: nothing is rebuilt", async () => {
  const server = await serve();
  expect(await complete(server, "big")).toBe(200);
  expect(await complete(server, "small")).toBe(200);
  expect(server.stderr()).not.toContain("build: ");
  expect(record("small")).toEqual(first.small);
  expect(record("big")).toEqual(first.big);
  expect(buildDirs()).toHaveLength(2);
  await server.stop();
}, SLOW_MS);

test("a different checkpoint in the folder is rebuilt, and so is a build from another builder version", async () => {
  // small's folder now holds another checkpoint (GPT3-dev v1 weights and config); big's build claims an old builder.
  for (const f of ["config.json", "model.safetensors"]) fs.copyFileSync(path.join(testModelPath("ckpt-gpt3dev-v1"), f), path.join(small, f));
  const bigRecord = path.join(buildOf("big"), "build.json");
  const stale = JSON.parse(fs.readFileSync(bigRecord, "utf8"));
  stale.identity.builderVersion -= 1;
  fs.writeFileSync(bigRecord, JSON.stringify(stale));

  const server = await serve();
  expect(await complete(server, "small")).toBe(200);
  expect(await complete(server, "big")).toBe(200);
  expect(buildLines(server, "small")).toHaveLength(1);
  expect(buildLines(server, "big")).toHaveLength(1);
  expect(await detail(server, "small")).toMatchObject({ architecture: "gpt3dev-v1" });
  expect(record("small").text).not.toEqual(first.small.text);
  // Replaced in place: still one folder each, nothing temporary left.
  expect(buildDirs()).toHaveLength(2);
  await server.stop();
}, SLOW_MS);

test("two servers building the same model at once both serve it and leave one complete build", async () => {
  const cache = path.join(root, "cache-shared");
  const [a, b] = await Promise.all([serve(cache), serve(cache)]);
  expect(await Promise.all([complete(a, "big"), complete(b, "big")])).toEqual([200, 200]);
  expect(buildDirs(cache)).toHaveLength(1);
  expect(fs.readdirSync(buildOf("big", cache)).sort()).toEqual(["build.json", "model.onnx", "model.onnx_data"]);
  await Promise.all([a.stop(), b.stop()]);
  const again = await serve(cache);
  expect(await complete(again, "big")).toBe(200);
  expect(again.stderr()).not.toContain("build: ");
  await again.stop();
}, SLOW_MS);
