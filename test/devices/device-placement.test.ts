/**
 * Placement through the real server on a machine without CUDA: an explicit `device: cuda` fails that model's load
 * with an OpenAI error naming what is missing, `auto` runs on the CPU, and other models keep serving.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type TestServer } from "../helpers/start-server.ts";
import { probeCuda } from "../../src/platform/cuda-probe.ts";

const cudaUsable = (() => {
  const p = probeCuda();
  return p.cudaProviderLibsFound && p.gpuVisible;
})();

let server: TestServer;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "placement-"));
  const models = process.env.TEST_MODELS_DIR!;
  const registry = join(dir, "registry.yaml");
  writeFileSync(
    registry,
    [
      `- { name: on-cuda, path: ${join(models, "test-gpt2")}, device: cuda }`,
      `- { name: on-auto, path: ${join(models, "test-gpt2")}, device: auto }`,
    ].join("\n"),
  );
  server = await startServer({ args: ["--registry", registry] });
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const complete = (model: string) =>
  fetch(`${server.baseURL}/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, prompt: "Hi", max_tokens: 2 }) });

test.skipIf(cudaUsable)("explicit cuda without the provider libraries: 503 naming them, and other models still serve", async () => {
  const r = await complete("on-cuda");
  expect(r.status).toBe(503);
  const body = (await r.json()) as { error: { code: string; message: string; type: string } };
  expect(body.error.code).toBe("device_unavailable");
  expect(body.error.message).toContain("libonnxruntime_providers");
  expect((await complete("on-auto")).status).toBe(200);
  const detail = (await (await fetch(`${server.baseURL}/models/on-auto`)).json()) as { device: string };
  expect(detail.device).toBe("cpu");
});
