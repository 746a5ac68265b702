/** Concurrent first requests for a model share one download; every caller sees its progress. */
import { afterAll, expect, test } from "bun:test";
import { fetchHubModel } from "../../src/engine/hub/fetch-hub-model.ts";
import type { DownloadProgress } from "../../src/engine/hub/hub-types.ts";
import { captureLog, GPT2_REPO, hubRequest, hubSettingsFor, ONNX, removeTempDirs, startTestHub, tempDir, SLOW_MS } from "./hub-test-kit.ts";

const hub = await startTestHub({ bytesPerSecond: 50 * 1024 * 1024 });
afterAll(async () => {
  await hub.stop();
  removeTempDirs();
});

test("five concurrent first calls download each file once and all get the folder", async () => {
  const settings = hubSettingsFor(hub.url, tempDir());
  const seen: DownloadProgress[][] = [[], [], [], [], []];
  const log = captureLog();
  const first = fetchHubModel(hubRequest(), settings, (p) => seen[0]!.push(p), log);
  await Bun.sleep(50); // the others join while the first is mid-download
  const dirs = await Promise.all([first, ...[1, 2, 3, 4].map((i) => fetchHubModel(hubRequest(), settings, (p) => seen[i]!.push(p), log))]);
  expect(new Set(dirs).size).toBe(1);
  for (const file of ["config.json", "tokenizer.json", ONNX]) expect(hub.gets(`${GPT2_REPO}/${file}`)).toBe(1);
  expect(log.lines.filter((l) => l.startsWith("hub: downloading")).length).toBe(1);
  // Late joiners still hear how the shared download goes, up to its end.
  for (const s of seen) expect(s.some((p) => p.file === ONNX && p.loadedBytes === p.totalBytes)).toBe(true);
}, SLOW_MS);

test("different cache folders are different downloads; a failed shared download is retried", async () => {
  const a = hubSettingsFor(hub.url, tempDir());
  const b = hubSettingsFor(hub.url, tempDir());
  const before = hub.gets(`${GPT2_REPO}/config.json`);
  await Promise.all([fetchHubModel(hubRequest(), a, undefined, captureLog()), fetchHubModel(hubRequest(), b, undefined, captureLog())]);
  expect(hub.gets(`${GPT2_REPO}/config.json`)).toBe(before + 2);

  hub.behaviour.notFound.add(ONNX);
  const c = hubSettingsFor(hub.url, tempDir());
  const failures = await Promise.allSettled([fetchHubModel(hubRequest(), c, undefined, captureLog()), fetchHubModel(hubRequest(), c, undefined, captureLog())]);
  expect(failures.map((f) => f.status)).toEqual(["rejected", "rejected"]);
  hub.behaviour.notFound.clear();
  expect(await fetchHubModel(hubRequest(), c, undefined, captureLog())).toContain(c.cacheDir);
}, SLOW_MS);
