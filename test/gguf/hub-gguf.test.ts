/**
 * GGUF models from a hub (the fake hub through HF_ENDPOINT): `file:` downloads that one file and nothing else of
 * the repo; a shard of a split model brings every shard; `hf_repo: org/repo:Q4_K_M` picks the file of that
 * quantization from the hub's listing (paged tree, or a mirror's siblings), case-insensitively and never a
 * projector; no match, several matches and a hub without a listing are 503s that say what to do; once cached, a
 * quantization is served offline without asking the hub again.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { serverOptions, tempRoot, writeRegistry } from "../checkpoints/served-kit.ts";
import { startFakeHub, type FakeHub } from "../helpers/fake-hub.ts";
import { startServer, type TestServer } from "../helpers/start-server.ts";
import { fixture } from "./helpers/fixtures.ts";

const root = tempRoot("hub-gguf");
const cacheDir = path.join(root, "cache");
const repos = path.join(root, "repos");
const TINY = "test/tiny-GGUF";
const SPLIT = "test/split-GGUF";
const TWINS = "test/ambiguous-GGUF";
const QWEN3 = [1, 2, 3].map((i) => `qwen3-f32-0000${i}-of-00003.gguf`);
let hub: FakeHub;
let server: TestServer;
const servers: TestServer[] = [];

function put(repo: string, from: string, as = from): void {
  const to = path.join(repos, repo, as);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(fixture(from), to);
}

const ENTRIES = [
  { name: "by-file", hf_repo: TINY, file: "tiny-llama-256-Q8_0.gguf" },
  { name: "by-quant", hf_repo: `${TINY}:Q4_K_M` },
  { name: "by-quant-lowercase", hf_repo: `${TINY}:q6_k` },
  { name: "split-by-file", hf_repo: SPLIT, file: QWEN3[1] },
  { name: "split-by-quant", hf_repo: `${SPLIT}:F32` },
  { name: "quant-none", hf_repo: `${TINY}:Q2_K` },
  { name: "quant-several", hf_repo: `${TWINS}:Q4_K_M` },
  { name: "no-listing", hf_repo: `${TINY}:Q5_K_M` },
].map((e) => ({ ...e, device: "cpu" }));

beforeAll(async () => {
  for (const q of ["Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"]) put(TINY, `tiny-llama-256-${q}.gguf`);
  put(TINY, "tiny-llama-256-F16.gguf", "mmproj-tiny-llama-256-Q4_K_M.gguf"); // a projector: never a candidate
  for (const f of QWEN3) put(SPLIT, f);
  put(TWINS, "tiny-llama-256-Q4_K_M.gguf", "a/tiny-Q4_K_M.gguf");
  put(TWINS, "tiny-llama-256-Q4_K_M.gguf", "b/tiny-Q4_K_M.gguf");
  // Two entries a page: the tree listing is read through its Link header.
  hub = await startFakeHub([TINY, SPLIT, TWINS].map((repo) => ({ repo, dir: path.join(repos, repo) })), { treePageSize: 2 });
  server = await startServer(serverOptions(writeRegistry(root, ENTRIES), cacheDir, { HF_ENDPOINT: hub.url, HF_HUB_OFFLINE: "0" }));
  servers.push(server);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await hub?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

async function complete(s: TestServer, model: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${s.url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, prompt: [1, 5, 7], max_tokens: 2 }) });
  return { status: res.status, body: await res.json() };
}
const detail = async (model: string) => (await (await fetch(`${server.url}/v1/models/${model}`)).json()) as Record<string, any>;
const asked = (repo: string) => hub.requests.filter((r) => r.file.startsWith(`${repo}/`) || r.file.startsWith(`/api/models/${repo}/`)).map((r) => r.file);

test("file: downloads that one GGUF file and nothing else of the repo, and serves it", async () => {
  expect((await complete(server, "by-file")).status).toBe(200);
  expect(asked(TINY)).toEqual([`${TINY}/tiny-llama-256-Q8_0.gguf`]);
  expect(await detail("by-file")).toMatchObject({ format: "gguf", source: { hf_repo: TINY, file: "tiny-llama-256-Q8_0.gguf" }, gguf: { file_type: "Q8_0" } });
  expect(server.stderr()).toContain(`hub: downloading ${TINY}@main (tiny-llama-256-Q8_0.gguf)`);
});

test(":Q4_K_M picks that file from the paged listing; the match is case-insensitive", async () => {
  const before = hub.requests.length;
  expect((await complete(server, "by-quant")).status).toBe(200);
  const mine = hub.requests.slice(before).map((r) => r.file);
  expect(mine.filter((f) => f.startsWith(`/api/models/${TINY}/tree/main`)).length).toBeGreaterThan(1); // several pages
  expect(mine.filter((f) => f.endsWith(".gguf"))).toEqual([`${TINY}/tiny-llama-256-Q4_K_M.gguf`]);
  expect(await detail("by-quant")).toMatchObject({ source: { hf_repo: TINY, quantization: "Q4_K_M" }, gguf: { file_type: "Q4_K_M", precision: "q4" } });
  expect((await complete(server, "by-quant-lowercase")).status).toBe(200);
  expect((await detail("by-quant-lowercase")).gguf.file_type).toBe("Q6_K");
});

test("a split model is one model: naming any shard, or its quantization, brings every shard", async () => {
  expect((await complete(server, "split-by-file")).status).toBe(200);
  for (const f of QWEN3) expect(hub.gets(`${SPLIT}/${f}`)).toBe(1);
  expect((await detail("split-by-file")).gguf.files).toEqual(QWEN3);
  expect((await complete(server, "split-by-quant")).status).toBe(200);
  expect((await detail("split-by-quant")).gguf.files).toEqual(QWEN3);
});

test("no file of the quantization: 503 listing the candidates (projectors are not models)", async () => {
  const { status, body } = await complete(server, "quant-none");
  expect(status).toBe(503);
  expect(body.error.code).toBe("hub_not_found");
  expect(body.error.message).toContain("carries the quantization Q2_K");
  for (const q of ["Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"]) expect(body.error.message).toContain(`tiny-llama-256-${q}.gguf`);
  expect(body.error.message).not.toContain("mmproj");
});

test("several files of the quantization: 503 hub_file_ambiguous naming them, asking for `file`", async () => {
  const { status, body } = await complete(server, "quant-several");
  expect(status).toBe(503);
  expect(body.error.code).toBe("hub_file_ambiguous");
  expect(body.error.message).toContain("a/tiny-Q4_K_M.gguf");
  expect(body.error.message).toContain("b/tiny-Q4_K_M.gguf");
  expect(body.error.message).toContain("'file'");
});

test("a mirror with no listing: 503 saying to name the file; one with only siblings serves the pick", async () => {
  hub.behaviour.listing = { tree: false, siblings: false };
  const { status, body } = await complete(server, "no-listing");
  expect(status).toBe(503);
  expect(body.error.code).toBe("hub_listing_unavailable");
  expect(body.error.message).toContain("file: NAME.gguf");
  expect(body.error.message).toContain("Q5_K_M");
  hub.behaviour.listing = { tree: false, siblings: true };
  expect((await complete(server, "no-listing")).status).toBe(200);
  expect((await detail("no-listing")).gguf.file_type).toBe("Q5_K_M");
  hub.behaviour.listing = { tree: true, siblings: true };
});

test("restart offline: a quantization picked once is served from the cache, no listing asked, nothing rebuilt", async () => {
  await server.stop();
  const before = hub.requests.length;
  const offline = await startServer(serverOptions(writeRegistry(root, ENTRIES), cacheDir, { HF_ENDPOINT: "http://127.0.0.1:1", HF_HUB_OFFLINE: "1" }));
  servers.push(offline);
  expect((await complete(offline, "by-quant")).status).toBe(200);
  expect((await complete(offline, "split-by-file")).status).toBe(200);
  expect(hub.requests.length).toBe(before);
  expect(offline.stderr()).not.toContain("build: ");
  await offline.stop();
});
