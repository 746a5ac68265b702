/**
 * End to end: the real server with a registry entry `hf_repo: test/test-gpt2` and HF_ENDPOINT at the fake hub.
 * The first completion downloads (GET /v1/models/{id} shows it), a restart with the hub gone completes from the
 * cache, and the hub errors reach clients as OpenAI errors.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { FakeHub } from "../helpers/fake-hub.ts";
import { startServer, type TestServer } from "../helpers/start-server.ts";
import { GPT2_REPO, ONNX, removeTempDirs, startTestHub, tempDir, SLOW_MS } from "./hub-test-kit.ts";

const MODEL = "hub-gpt2";
let hub: FakeHub;
let registry = "";
let cacheDir = "";
const servers: TestServer[] = [];

beforeAll(async () => {
  // ≈ 3 s for the 25 MB graph: long enough to watch the download through the API.
  hub = await startTestHub({ token: "hf_e2e", bytesPerSecond: 8 * 1024 * 1024 });
  const dir = tempDir("hub-e2e-");
  cacheDir = join(dir, "cache");
  registry = join(dir, "registry.yaml");
  writeFileSync(registry, stringify([{ name: MODEL, hf_repo: GPT2_REPO, device: "cpu", tiktoken_encoding: "gpt2" }]));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await hub.stop();
  removeTempDirs();
});

async function serve(env: Record<string, string>): Promise<TestServer> {
  const server = await startServer({
    args: ["--registry", registry], // replaces the test models' registry (last flag wins)
    env: { MODEL_CACHE_DIR: cacheDir, HF_TOKEN: "hf_e2e", HF_HUB_OFFLINE: "0", ...env },
  });
  servers.push(server);
  return server;
}

async function complete(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, prompt: "The hub", max_tokens: 4, temperature: 0 }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface ModelDetail {
  state: string;
  loaded: boolean;
  download?: { file: string; loaded_bytes: number; total_bytes: number | null; percent: number | null };
}

async function detail(url: string): Promise<ModelDetail> {
  return (await (await fetch(`${url}/v1/models/${MODEL}`)).json()) as ModelDetail;
}

test("cold start: the first completion downloads, and GET /v1/models/{id} shows the download", async () => {
  const server = await serve({ HF_ENDPOINT: hub.url });
  expect((await detail(server.url)).state).toBe("not_loaded");
  const pending = complete(server.url);
  let seen: ModelDetail | null = null;
  for (let i = 0; i < 200 && !seen; i++) {
    const d = await detail(server.url);
    if (d.state === "downloading" && d.download?.file === ONNX && (d.download.percent ?? 0) > 0) seen = d;
    else await Bun.sleep(25);
  }
  expect(seen).not.toBeNull();
  expect(seen!.download!.total_bytes).toBeGreaterThan(20_000_000);
  expect(seen!.download!.loaded_bytes).toBeGreaterThan(0);

  const { status, body } = await pending;
  expect(status).toBe(200);
  expect((body.choices as { text: string }[])[0]!.text.length).toBeGreaterThan(0);
  expect((await detail(server.url)).state).toBe("loaded");
  expect(hub.gets(`${GPT2_REPO}/${ONNX}`)).toBe(1);
  // Progress reached stderr with percent, bytes and rate.
  expect(server.stderr()).toContain(`hub: downloading ${GPT2_REPO}@main (fp32) from ${hub.url}`);
  expect(server.stderr()).toMatch(/onnx\/model\.onnx \d+% [\d.]+ MB \/ 25\.2 MB, [\d.]+ MB\/s/);
  await server.stop();
}, SLOW_MS);

test("restart with the hub gone: served from the cache", async () => {
  const requests = hub.requests.length;
  const deadEndpoint = "http://127.0.0.1:1";
  const server = await serve({ HF_ENDPOINT: deadEndpoint });
  const { status, body } = await complete(server.url);
  expect(status).toBe(200);
  expect((body.choices as { text: string }[])[0]!.text.length).toBeGreaterThan(0);
  expect(hub.requests.length).toBe(requests);
  expect(server.stderr()).not.toContain("hub: downloading");
  await server.stop();
}, SLOW_MS);

test("hub errors reach the client as OpenAI errors: unreachable, then not cached offline", async () => {
  const emptyCache = join(tempDir("hub-e2e-empty-"), "cache");
  const unreachable = await serve({ HF_ENDPOINT: "http://127.0.0.1:1", MODEL_CACHE_DIR: emptyCache });
  const a = await complete(unreachable.url);
  expect(a.status).toBe(503);
  expect(a.body.error).toMatchObject({ type: "service_unavailable_error", code: "hub_unreachable", param: "model" });
  expect((a.body.error as { message: string }).message).toContain("http://127.0.0.1:1");
  await unreachable.stop();

  const offline = await serve({ HF_ENDPOINT: hub.url, HF_HUB_OFFLINE: "1", MODEL_CACHE_DIR: emptyCache });
  const b = await complete(offline.url);
  expect(b.status).toBe(503);
  expect(b.body.error).toMatchObject({ code: "model_not_cached" });
  expect((b.body.error as { message: string }).message).toContain(GPT2_REPO);
  // The server runs from source here, so the command to suggest is the one a source checkout has.
  expect((b.body.error as { message: string }).message).toContain("'bun run pull MODEL'");
  expect((b.body.error as { message: string }).message).not.toContain("gpt3dev-api pull");
  await offline.stop();
}, SLOW_MS);
