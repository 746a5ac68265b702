/** Cold download, cache hits with the hub gone, offline mode, and a downloaded folder that the engine loads. */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadSettings } from "../../src/config/load-settings.ts";
import { toApiError } from "../../src/http/shared/error-mapping.ts";
import { fetchHubModel } from "../../src/engine/hub/fetch-hub-model.ts";
import { cachedHubModelDir } from "../../src/engine/hub/hub-cache-status.ts";
import type { DownloadProgress } from "../../src/engine/hub/hub-types.ts";
import { readModelConfig } from "../../src/engine/model-config.ts";
import { resolveModelFiles } from "../../src/engine/model-files.ts";
import { loadTextModel } from "../../src/engine/text-model.ts";
import { testModelPath } from "../models/test-models-dir.ts";
import { captureLog, GPT2_REPO, hubRequest, hubSettingsFor, ONNX, removeTempDirs, sameBytes, specFor, startTestHub, tempDir, SLOW_MS } from "./hub-test-kit.ts";

afterAll(removeTempDirs);

const FILES = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", ONNX];

describe("cold download, then the cache", async () => {
  const cacheDir = tempDir();
  const hub = await startTestHub({ bytesPerSecond: 40 * 1024 * 1024 });
  afterAll(() => hub.stop());
  const progress: DownloadProgress[] = [];
  const log = captureLog();
  let dir = "";

  test("downloads every file into {cacheDir}/{owner}--{name}/{revision}, byte for byte", async () => {
    dir = await fetchHubModel(hubRequest(), hubSettingsFor(hub.url, cacheDir), (p) => progress.push(p), log);
    expect(dir).toBe(join(cacheDir, "test--test-gpt2", "main"));
    for (const f of FILES) expect(sameBytes(join(dir, f), join(testModelPath("test-gpt2"), f))).toBe(true);
    // Absent optional files were asked for once and not invented.
    expect(existsSync(join(dir, "special_tokens_map.json"))).toBe(false);
    expect(hub.gets(`${GPT2_REPO}/special_tokens_map.json`)).toBe(1);
    expect(hub.gets(`${GPT2_REPO}/onnx/model.onnx_data`)).toBe(1);
    // Nothing half-written is left beside the files.
    const all = readdirSync(dir, { recursive: true, encoding: "utf8" });
    expect(all.filter((f) => f.includes(".incomplete-"))).toEqual([]);
    expect(cachedHubModelDir(hubRequest(), cacheDir)).toBe(dir);
  }, SLOW_MS);

  test("reports progress per file with totals, and prints percent, bytes and rate lines", () => {
    const size = readFileSync(join(testModelPath("test-gpt2"), ONNX)).byteLength;
    const onnx = progress.filter((p) => p.file === ONNX);
    expect(onnx.length).toBeGreaterThan(2);
    expect(onnx.every((p) => p.totalBytes === size)).toBe(true);
    expect(onnx.at(-1)!.loadedBytes).toBe(size);
    expect(onnx.at(-1)!.bytesPerSecond).toBeGreaterThan(0);
    expect(log.lines.some((l) => /onnx\/model\.onnx \d+% [\d.]+ MB \/ 25\.2 MB, [\d.]+ MB\/s/.test(l))).toBe(true);
    expect(log.lines.at(-1)).toMatch(/test\/test-gpt2@main ready: 5 files/);
  }, SLOW_MS);

  test("the downloaded folder loads and runs in the engine", async () => {
    const settings = loadSettings([], {}).settings;
    const spec = specFor("hub-gpt2", { kind: "hub", repo: GPT2_REPO, revision: "main" });
    const files = await resolveModelFiles(spec, hubSettingsFor(hub.url, cacheDir));
    expect(files).toMatchObject({ dir, onnxFile: join(dir, ONNX), origin: "export", about: { format: "onnx" } });
    const config = await readModelConfig(files.dir, spec);
    const model = await loadTextModel(spec, files, config, settings);
    expect(model.vocab).toBeGreaterThan(0);
    expect(model.tokenizer.vocabSize).toBeGreaterThan(0);
  }, SLOW_MS);

  test("a second call is served from the cache with the hub stopped", async () => {
    const before = hub.requests.length;
    await hub.stop();
    const again = await fetchHubModel(hubRequest(), hubSettingsFor(hub.url, cacheDir), undefined, captureLog());
    expect(again).toBe(dir);
    expect(hub.requests.length).toBe(before);
  }, SLOW_MS);

  test("offline mode serves the cache", async () => {
    const offline = hubSettingsFor("http://127.0.0.1:1", cacheDir, { offline: true });
    expect(await fetchHubModel(hubRequest(), offline)).toBe(dir);
  }, SLOW_MS);

  test("offline mode refuses an uncached model with model_not_cached naming the repo", async () => {
    const offline = hubSettingsFor("http://127.0.0.1:1", cacheDir, { offline: true });
    const err = toApiError(await fetchHubModel(hubRequest("test/test-chat"), offline).catch((e: unknown) => e));
    expect(err.status).toBe(503);
    expect(err.type).toBe("service_unavailable_error");
    expect(err.code).toBe("model_not_cached");
    expect(err.message).toContain("'test/test-chat'");
    expect(err.message).toContain("not cached");
    expect(err.message).toContain("HF_HUB_OFFLINE");
    // Another dtype of a cached repo is not cached either: the marker is per dtype.
    const q8 = toApiError(await fetchHubModel(hubRequest(GPT2_REPO, { dtype: "q8" }), offline).catch((e: unknown) => e));
    expect(q8.code).toBe("model_not_cached");
  }, SLOW_MS);

  test("a folder whose files were damaged after download is not trusted", async () => {
    const { truncateSync } = await import("node:fs");
    truncateSync(join(dir, ONNX), 100);
    expect(cachedHubModelDir(hubRequest(), cacheDir)).toBeNull();
    const offline = hubSettingsFor("http://127.0.0.1:1", cacheDir, { offline: true });
    const err = toApiError(await fetchHubModel(hubRequest(), offline).catch((e: unknown) => e));
    expect(err.code).toBe("model_not_cached");
  }, SLOW_MS);
});

test("revisions with slashes get one safe folder, and embeddings models download too", async () => {
  const cacheDir = tempDir();
  const { startFakeHub } = await import("../helpers/fake-hub.ts");
  const hub = await startFakeHub([{ repo: "test/test-embed", dir: testModelPath("test-embed"), revisions: ["refs/pr/1"] }]);
  try {
    const dir = await fetchHubModel(hubRequest("test/test-embed", { revision: "refs/pr/1", task: "embeddings" }), hubSettingsFor(hub.url, cacheDir), undefined, captureLog());
    expect(dir).toBe(join(cacheDir, "test--test-embed", "refs%2Fpr%2F1"));
    expect(existsSync(join(dir, ONNX))).toBe(true);
    expect(hub.requests.some((r) => r.file === "test/test-embed/config.json")).toBe(true);
  } finally {
    await hub.stop();
  }
}, SLOW_MS);
