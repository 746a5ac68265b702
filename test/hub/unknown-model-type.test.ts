/**
 * GPT3-dev checkpoints declare model_type "gpt3dev" (custom code). Such a folder is refused naming the field and
 * the fix, and loads with a registry `model_type: gpt2` override — from a local copy and through the hub.
 */
import { afterAll, expect, test } from "bun:test";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ModelUnavailable } from "../../src/engine/engine-errors.ts";
import { toApiError } from "../../src/http/shared/error-mapping.ts";
import { fetchHubModel } from "../../src/engine/hub/fetch-hub-model.ts";
import { readModelConfig } from "../../src/engine/model-config.ts";
import { startFakeHub } from "../helpers/fake-hub.ts";
import { testModelPath } from "../models/test-models-dir.ts";
import { captureLog, hubRequest, hubSettingsFor, removeTempDirs, specFor, tempDir, SLOW_MS } from "./hub-test-kit.ts";

afterAll(removeTempDirs);

/** test-gpt2 with config.json saying model_type "gpt3dev", as the GPT3-dev repos do. */
function gpt3devCopy(): string {
  const dir = join(tempDir("gpt3dev-"), "GPT3-dev-test");
  cpSync(testModelPath("test-gpt2"), dir, { recursive: true });
  const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, model_type: "gpt3dev", architectures: ["GPT3DevLMHeadModel"] }));
  return dir;
}

test("without an override: refused, naming model_type, the declared type and the fix", async () => {
  const dir = gpt3devCopy();
  const raised = await readModelConfig(dir, specFor("gpt3dev-local", { kind: "local", path: dir })).catch((e: unknown) => e);
  expect(raised).toBeInstanceOf(ModelUnavailable);
  const err = toApiError(raised);
  expect(err.status).toBe(503);
  expect(err.code).toBe("unsupported_model_type");
  expect(err.message).toContain("model_type 'gpt3dev'");
  expect(err.message).toContain("set 'model_type' in its registry entry");
  expect(err.message).toContain("model_type: gpt2");
}, SLOW_MS);

test("with model_type: gpt2 in the entry: accepted as gpt2", async () => {
  const dir = gpt3devCopy();
  const config = await readModelConfig(dir, specFor("gpt3dev-local", { kind: "local", path: dir }, { modelType: "gpt2" }));
  expect(config.modelType).toBe("gpt2");
  expect(config.raw.model_type).toBe("gpt3dev");
}, SLOW_MS);

test("the same through the hub: downloaded, then refused or accepted by the entry's model_type", async () => {
  const hub = await startFakeHub([{ repo: "k050506koch/GPT3-dev-test", dir: gpt3devCopy() }]);
  try {
    const dir = await fetchHubModel(hubRequest("k050506koch/GPT3-dev-test"), hubSettingsFor(hub.url, tempDir()), undefined, captureLog());
    const source = { kind: "hub" as const, repo: "k050506koch/GPT3-dev-test", revision: "main" };
    const refused = toApiError(await readModelConfig(dir, specFor("GPT3-dev-test", source)).catch((e: unknown) => e));
    expect(refused.code).toBe("unsupported_model_type");
    expect((await readModelConfig(dir, specFor("GPT3-dev-test", source, { modelType: "gpt2" }))).modelType).toBe("gpt2");
  } finally {
    await hub.stop();
  }
}, SLOW_MS);
