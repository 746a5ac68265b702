/**
 * 404s, an unreachable endpoint, a connection cut mid-file and a stalled one: each a HubError with its code that a
 * client sees as a clear 503 (through the HTTP error mapping), nothing half-trusted.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { HubError } from "../../src/engine/hub/hub-errors.ts";
import type { ApiError } from "../../src/http/shared/api-error.ts";
import { toApiError } from "../../src/http/shared/error-mapping.ts";
import { fetchHubModel } from "../../src/engine/hub/fetch-hub-model.ts";
import { cachedHubModelDir } from "../../src/engine/hub/hub-cache-status.ts";
import type { HubFetchOptions, HubModelRequest, HubSettings } from "../../src/engine/hub/hub-types.ts";
import { testModelPath } from "../models/test-models-dir.ts";
import { captureLog, GPT2_REPO, hubRequest, hubSettingsFor, ONNX, removeTempDirs, sameBytes, startTestHub, tempDir, SLOW_MS } from "./hub-test-kit.ts";

const hub = await startTestHub();
afterAll(async () => {
  await hub.stop();
  removeTempDirs();
});

async function failure(req: HubModelRequest, settings: HubSettings, options: HubFetchOptions = captureLog()): Promise<ApiError> {
  const result = await fetchHubModel(req, settings, undefined, options).then(
    (dir) => new Error(`expected a failure, got ${dir}`),
    (e: unknown) => e,
  );
  if (!(result instanceof HubError)) throw result;
  return toApiError(result);
}

test("a missing required file: 503 hub_not_found naming the file, repo and revision", async () => {
  hub.behaviour.notFound.add(ONNX);
  try {
    const err = await failure(hubRequest(), hubSettingsFor(hub.url, tempDir()));
    expect(err.status).toBe(503);
    expect(err.code).toBe("hub_not_found");
    expect(err.message).toContain("onnx/model.onnx");
    expect(err.message).toContain("'test/test-gpt2'");
    expect(err.message).toContain("'main'");
  } finally {
    hub.behaviour.notFound.clear();
  }
}, SLOW_MS);

test("a dtype the repo has no graph for names that dtype's file", async () => {
  const err = await failure(hubRequest(GPT2_REPO, { dtype: "q8" }), hubSettingsFor(hub.url, tempDir()));
  expect(err.code).toBe("hub_not_found");
  expect(err.message).toContain("onnx/model_quantized.onnx");
}, SLOW_MS);

test("an unknown repo fails on config.json, before any large file", async () => {
  const before = hub.requests.length;
  const err = await failure(hubRequest("nobody/nothing"), hubSettingsFor(hub.url, tempDir()));
  expect(err.code).toBe("hub_not_found");
  expect(err.message).toContain("config.json");
  expect(err.message).toContain("'nobody/nothing'");
  expect(err.message).toContain("Repository not found");
  expect(hub.requests.length - before).toBe(1);
}, SLOW_MS);

test("a missing optional file is fine", async () => {
  hub.behaviour.notFound.add("tokenizer_config.json");
  try {
    const dir = await fetchHubModel(hubRequest(), hubSettingsFor(hub.url, tempDir()), undefined, captureLog());
    expect(existsSync(join(dir, "tokenizer_config.json"))).toBe(false);
    expect(existsSync(join(dir, ONNX))).toBe(true);
  } finally {
    hub.behaviour.notFound.clear();
  }
}, SLOW_MS);

test("connection refused: 503 hub_unreachable naming the endpoint and the way out", async () => {
  const err = await failure(hubRequest(), hubSettingsFor("http://127.0.0.1:1", tempDir()));
  expect(err.status).toBe(503);
  expect(err.code).toBe("hub_unreachable");
  expect(err.message).toContain("http://127.0.0.1:1");
  expect(err.message).toContain("ECONNREFUSED");
  expect(err.message).toContain("HF_HUB_OFFLINE=1");
  expect(err.message).toContain("local 'path'");
}, SLOW_MS);

test("a host name that does not resolve: 503 hub_unreachable", async () => {
  const err = await failure(hubRequest(), hubSettingsFor("http://hub.invalid", tempDir()));
  expect(err.code).toBe("hub_unreachable");
  expect(err.message).toContain("http://hub.invalid");
  expect(err.message).toContain("does not resolve");
}, SLOW_MS);

test("a connection cut mid-file leaves no trusted file, and the next call downloads cleanly", async () => {
  const cacheDir = tempDir();
  const settings = hubSettingsFor(hub.url, cacheDir);
  hub.behaviour.cut = { path: ONNX, bytes: 3 * 1024 * 1024, times: 1 };
  const err = await failure(hubRequest(), settings);
  expect(err.status).toBe(503);
  expect(err.code).toBe("hub_download_interrupted");
  expect(err.message).toContain("onnx/model.onnx");
  expect(err.message).toMatch(/after \d+ of \d+ bytes/);

  const dir = join(cacheDir, "test--test-gpt2", "main");
  expect(existsSync(join(dir, ONNX))).toBe(false);
  expect(readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.includes(".incomplete-"))).toEqual([]);
  expect(cachedHubModelDir(hubRequest(), cacheDir)).toBeNull();
  // A later start (offline) does not trust what is there.
  const offline = await failure(hubRequest(), { ...settings, offline: true });
  expect(offline.code).toBe("model_not_cached");

  const gets = hub.gets(`${GPT2_REPO}/${ONNX}`);
  expect(await fetchHubModel(hubRequest(), settings, undefined, captureLog())).toBe(dir);
  expect(hub.gets(`${GPT2_REPO}/${ONNX}`)).toBe(gets + 1);
  expect(sameBytes(join(dir, ONNX), join(testModelPath("test-gpt2"), ONNX))).toBe(true);
}, SLOW_MS);

test("a connection that stalls is given up after the idle timeout", async () => {
  hub.behaviour.bytesPerSecond = 1000; // 100-byte chunks every 100 ms: quieter than the 40 ms allowed below
  try {
    const cacheDir = tempDir();
    const err = await failure(hubRequest(), hubSettingsFor(hub.url, cacheDir), { ...captureLog(), idleTimeoutMs: 40 });
    expect(err.code).toBe("hub_download_interrupted");
    expect(err.message).toContain("config.json");
    expect(err.message).toContain("no data for 40 ms");
    expect(cachedHubModelDir(hubRequest(), cacheDir)).toBeNull();
  } finally {
    hub.behaviour.bytesPerSecond = null;
  }
}, SLOW_MS);

test("a hub error status: 503 hub_bad_response naming it, retried on the next call", async () => {
  const cacheDir = tempDir();
  hub.behaviour.failWith.set("tokenizer.json", 500);
  try {
    const err = await failure(hubRequest(), hubSettingsFor(hub.url, cacheDir));
    expect(err.status).toBe(503);
    expect(err.code).toBe("hub_bad_response");
    expect(err.message).toContain("HTTP 500");
    expect(err.message).toContain("tokenizer.json");
  } finally {
    hub.behaviour.failWith.clear();
  }
  expect(await fetchHubModel(hubRequest(), hubSettingsFor(hub.url, cacheDir), undefined, captureLog())).toBe(join(cacheDir, "test--test-gpt2", "main"));
}, SLOW_MS);

test("a cache folder that cannot be written: 503 model_cache_unwritable naming it and MODEL_CACHE_DIR", async () => {
  const { writeFileSync } = await import("node:fs");
  const blocker = join(tempDir(), "not-a-folder");
  writeFileSync(blocker, "a file where the cache folder should be");
  const err = await failure(hubRequest(), hubSettingsFor(hub.url, join(blocker, "cache")));
  expect(err.status).toBe(503);
  expect(err.code).toBe("model_cache_unwritable");
  expect(err.message).toContain(blocker);
  expect(err.message).toContain("MODEL_CACHE_DIR");
}, SLOW_MS);
