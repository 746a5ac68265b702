/**
 * Checkpoints from a hub (the fake hub through HF_ENDPOINT). From a fresh start with no registry file, the
 * built-in `GPT3-dev` entry downloads k050506koch/GPT3-dev — a GPT3-dev-shaped repo: config with model_type
 * gpt3dev and auto_map, the repo's own modeling code, safetensors weights — builds it and answers; a sharded
 * checkpoint and a vocab.json + merges.txt tokenizer come down the same way, each file's sha256 recorded and the
 * build keyed by them; a restart with the hub gone serves everything from the cache, rebuilding nothing.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { CHECKPOINT_RECIPES } from "../../scripts/make-test-models.ts";
import { startFakeHub, type FakeHub } from "../helpers/fake-hub.ts";
import { openaiClient, startServer, type TestServer } from "../helpers/start-server.ts";
import { testModelPath } from "../models/test-models-dir.ts";
import { logSoftmax, referenceLogits, Weights } from "../convert/reference-forward.ts";
import { SLOW_MS } from "../hub/hub-test-kit.ts";
import { LOGPROB_TOLERANCE, servedPromptLogprobs, tempRoot, worstPromptDiff, writeRegistry } from "./served-kit.ts";

const PROMPT = [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13, 15496, 995, 0, 314];
const root = tempRoot("hub-checkpoints");
const cacheDir = path.join(root, "cache");
const repos = path.join(root, "repos");
let hub: FakeHub;
const servers: TestServer[] = [];

/** What the hub serves for each repo: a factory checkpoint's folder, plus the remote code the GPT3-dev repos carry. */
const REPOS = { "k050506koch/GPT3-dev": "ckpt-gpt3dev-v1", "test/llama-sharded": "ckpt-llama", "test/vocab-merges": "ckpt-vocab-merges" } as const;

beforeAll(async () => {
  for (const [repo, from] of Object.entries(REPOS)) fs.cpSync(testModelPath(from), path.join(repos, repo), { recursive: true });
  fs.writeFileSync(path.join(repos, "k050506koch/GPT3-dev/modeling_gpt3dev.py"), "# the repo's own modeling code (never downloaded: the server builds the graph itself)\n");
  hub = await startFakeHub(Object.keys(REPOS).map((repo) => ({ repo, dir: path.join(repos, repo) })));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await hub?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

/** No registry file and the built-ins listed: the server as a fresh clone starts it. */
async function freshClone(endpoint: string): Promise<TestServer> {
  const server = await startServer({ baseArgs: ["--port", "0", "--host", "127.0.0.1"], env: { HF_ENDPOINT: endpoint, MODEL_CACHE_DIR: cacheDir } });
  servers.push(server);
  return server;
}

const recipe = (name: string) => CHECKPOINT_RECIPES.find((r) => r.name === name)!;
const reference = (name: string) => referenceLogits(recipe(name).config, new Weights(recipe(name).tensors()), PROMPT).map(logSoftmax);

test("no registry file: {\"model\": \"GPT3-dev\"} answers 200, from the repo's checkpoint, as its config says", async () => {
  const server = await freshClone(hub.url);
  const res = await fetch(`${server.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "GPT3-dev", prompt: "Hello, I am", max_tokens: 5 }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { choices: { text: string }[]; usage: { completion_tokens: number } };
  expect(body.usage.completion_tokens).toBeGreaterThan(0);
  const detail = (await (await fetch(`${server.url}/v1/models/GPT3-dev`)).json()) as Record<string, unknown>;
  expect(detail).toMatchObject({ source: { hf_repo: "k050506koch/GPT3-dev" }, state: "loaded", format: "safetensors", architecture: "gpt3dev-v1" });
  // It is the checkpoint's own model: the served log-probs are those of its weights.
  const served = await servedPromptLogprobs(openaiClient(server.baseURL), "GPT3-dev", PROMPT);
  expect(worstPromptDiff(served.logprobs, PROMPT, reference("ckpt-gpt3dev-v1"))).toBeLessThan(LOGPROB_TOLERANCE);
  expect(server.stderr()).toContain("hub: downloading k050506koch/GPT3-dev@main (fp32)");
  expect(server.stderr()).toContain("build: GPT3-dev: building a graph from the safetensors checkpoint");
  const asked = hub.requests.map((r) => r.file);
  expect(asked).toContain("k050506koch/GPT3-dev/onnx/model.onnx"); // looked for an export first, found none
  expect(asked).not.toContain("k050506koch/GPT3-dev/modeling_gpt3dev.py");
  await server.stop();
}, SLOW_MS);

test("a sharded BF16 checkpoint and a vocab.json + merges.txt tokenizer come from the hub and serve their weights", async () => {
  const registry = writeRegistry(root, [
    { name: "llama-sharded", hf_repo: "test/llama-sharded", device: "cpu" },
    { name: "vocab-merges", hf_repo: "test/vocab-merges", device: "cpu" },
  ]);
  const server = await startServer({ args: ["--registry", registry], env: { HF_ENDPOINT: hub.url, MODEL_CACHE_DIR: cacheDir } });
  servers.push(server);
  const client = openaiClient(server.baseURL);
  for (const [model, from] of [["llama-sharded", "ckpt-llama"], ["vocab-merges", "ckpt-vocab-merges"]] as const) {
    const served = await servedPromptLogprobs(client, model, PROMPT);
    expect(worstPromptDiff(served.logprobs, PROMPT, reference(from))).toBeLessThan(LOGPROB_TOLERANCE);
  }
  // Exactly the shards the index names (the factory's third shard holds nothing and is named by no tensor).
  const index = JSON.parse(fs.readFileSync(path.join(repos, "test/llama-sharded/model.safetensors.index.json"), "utf8")) as { weight_map: Record<string, string> };
  const shards = [...new Set(Object.values(index.weight_map))];
  expect(shards.length).toBeGreaterThan(1);
  for (const shard of shards) expect(hub.gets(`test/llama-sharded/${shard}`)).toBe(1);
  expect(hub.requests.filter((r) => r.file.startsWith("test/llama-sharded/model-")).length).toBe(shards.length);
  expect(hub.gets("test/vocab-merges/merges.txt")).toBe(1);
  // The marker records each file's sha256 as downloaded, and the build is keyed by those hashes.
  const dir = path.join(cacheDir, "test--llama-sharded", "main");
  const marker = JSON.parse(fs.readFileSync(path.join(dir, ".gpt3dev-complete-checkpoint.json"), "utf8")) as { kind: string; files: { path: string; size: number | null; sha256?: string }[] };
  expect(marker.kind).toBe("checkpoint");
  for (const f of marker.files.filter((f) => f.size !== null)) {
    expect(f.sha256).toBe(createHash("sha256").update(fs.readFileSync(path.join(dir, f.path))).digest("hex"));
  }
  const build = fs.readdirSync(path.join(cacheDir, "builds")).find((d) => d.startsWith("test--llama-sharded@main-fp32"))!;
  const record = JSON.parse(fs.readFileSync(path.join(cacheDir, "builds", build, "build.json"), "utf8")) as { identity: { files: { path: string; sha256?: string }[] } };
  expect(record.identity.files.map((f) => f.path)).toEqual(["config.json", "model.safetensors.index.json", ...shards]);
  expect(record.identity.files.every((f) => f.sha256 === marker.files.find((m) => m.path === f.path)!.sha256)).toBe(true);
  await server.stop();
}, SLOW_MS);

test("restart with the hub gone: GPT3-dev is served from the cache, nothing downloaded or rebuilt", async () => {
  const requests = hub.requests.length;
  const server = await freshClone("http://127.0.0.1:1");
  const res = await fetch(`${server.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "GPT3-dev", prompt: "Hello", max_tokens: 3 }),
  });
  expect(res.status).toBe(200);
  expect(hub.requests.length).toBe(requests);
  expect(server.stderr()).not.toContain("hub: downloading");
  expect(server.stderr()).not.toContain("build: ");
  await server.stop();
}, SLOW_MS);
