/** Shared pieces of the hub tests: temp folders, the fake hub serving the test models, and requests for them. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HubFetchOptions, HubModelRequest, HubSettings } from "../../src/engine/hub/hub-types.ts";
import type { ModelSpec } from "../../src/registry/registry-entry.ts";
import { startFakeHub, type FakeHub, type FakeHubBehaviour, type FakeHubRepo } from "../helpers/fake-hub.ts";
import { testModelPath } from "../models/test-models-dir.ts";

export const GPT2_REPO = "test/test-gpt2";
export const ONNX = "onnx/model.onnx";

const made: string[] = [];

/** A fresh temp folder, removed by `removeTempDirs()` (call it in afterAll). */
export function tempDir(prefix = "hub-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The fake hub with the three test models as test/test-gpt2, test/test-chat and test/test-embed. */
export function startTestHub(behaviour: Partial<FakeHubBehaviour> = {}, extra: FakeHubRepo[] = []): Promise<FakeHub> {
  const repos = ["test-gpt2", "test-chat", "test-embed"].map((name) => ({ repo: `test/${name}`, dir: testModelPath(name) }));
  return startFakeHub([...repos, ...extra], behaviour);
}

export function hubRequest(repo = GPT2_REPO, extra: Partial<HubModelRequest> = {}): HubModelRequest {
  return { repo, revision: "main", dtype: "fp32", task: "text-generation", ...extra };
}

export function hubSettingsFor(endpoint: string, cacheDir: string, extra: Partial<HubSettings> = {}): HubSettings {
  return { endpoint, token: "", offline: false, cacheDir, ...extra };
}

/** Download options that keep the test output clean and keep every progress line for assertions. */
export function captureLog(): HubFetchOptions & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (line) => void lines.push(line) };
}

export function sameBytes(a: string, b: string): boolean {
  return Bun.hash(readFileSync(a)) === Bun.hash(readFileSync(b));
}

/** A registry spec as load-registry would build it, for engine calls. */
export function specFor(id: string, source: ModelSpec["source"], extra: Partial<ModelSpec> = {}): ModelSpec {
  return {
    id,
    source,
    dtype: "fp32",
    dtypeGiven: false,
    device: "cpu",
    maxContextTokens: null,
    task: "text-generation",
    chatTemplate: null,
    tiktokenEncoding: null,
    modelType: null,
    pooling: "mean",
    normalize: true,
    ownedBy: "test",
    builtin: false,
    metadata: null,
    ...extra,
  };
}

/** Per-test limit for tests that download, spawn a server or build: explicit, so no run-wide default can cut them. */
export const SLOW_MS = 120_000;
