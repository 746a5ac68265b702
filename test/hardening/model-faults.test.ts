/**
 * A failing model fails only its own requests. A model whose ONNX file is corrupt answers 503
 * model_unavailable (and is retried later); a model that throws mid-generation (an entry claiming more context
 * than its position table holds, so onnxruntime fails past position 1024) answers 500 generation_failed, or an
 * error frame mid-stream; meanwhile the healthy model keeps serving and the process stays up.
 */
import { afterAll, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { parseSse } from "../helpers/sse.ts";
import { useServer } from "../helpers/start-server.ts";
import { testModelPath } from "../models/test-models-dir.ts";
import { errorShapeProblem } from "./openai-error-shape.ts";

const BROKEN = "corrupt-onnx";
const OVERREACH = "gpt2-overreach";
let dir: string;

const ctx = useServer(() => {
  dir = mkdtempSync(join(tmpdir(), "model-faults-"));
  const corrupt = join(dir, "corrupt");
  mkdirSync(join(corrupt, "onnx"), { recursive: true });
  for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json"]) copyFileSync(join(testModelPath("test-gpt2"), f), join(corrupt, f));
  writeFileSync(join(corrupt, "onnx", "model.onnx"), "this is not a protobuf model".repeat(100));
  const registry = join(dir, "registry.yaml");
  writeFileSync(
    registry,
    stringify([
      { name: "test-gpt2", path: testModelPath("test-gpt2"), dtype: "fp32", device: "cpu" },
      { name: BROKEN, path: corrupt, dtype: "fp32", device: "cpu" },
      // GPT-2's position table has 1024 rows; this entry lets requests run past it.
      { name: OVERREACH, path: testModelPath("test-gpt2"), dtype: "fp32", device: "cpu", max_context_tokens: 4096 },
    ]),
  );
  return { args: ["--registry", registry] };
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function complete(body: object): Promise<Response> {
  return fetch(`${ctx.server.url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

const healthy = { model: "test-gpt2", prompt: "Hello", max_tokens: 3 };
/** 1020 prompt tokens + 40 to generate: the 5th generated token sits at position 1024. */
const overreach = { model: OVERREACH, prompt: Array.from({ length: 1020 }, () => 464), max_tokens: 40, ignore_eos: true };

test("a corrupt model file: 503 model_unavailable, and other models serve", async () => {
  const res = await complete({ ...healthy, model: BROKEN });
  expect(res.status).toBe(503);
  const text = await res.text();
  expect(errorShapeProblem(text)).toBeNull();
  expect(JSON.parse(text).error.code).toBe("model_unavailable");
  expect((await complete(healthy)).status).toBe(200);
  const ready = (await (await fetch(`${ctx.server.url}/readyz`)).json()) as { status: string; models: Record<string, string> };
  expect(ready.status).toBe("ready");
  expect(ready.models[BROKEN]).toBe("failed");
  // Retried on the next request, and still reported (not fatal).
  expect((await complete({ ...healthy, model: BROKEN })).status).toBe(503);
});

test("a model that throws while generating: 500 generation_failed for its request only", async () => {
  const [bad, good] = await Promise.all([complete(overreach), complete({ ...healthy, max_tokens: 20 })]);
  expect(bad.status).toBe(500);
  const text = await bad.text();
  expect(errorShapeProblem(text)).toBeNull();
  expect(JSON.parse(text).error.code).toBe("generation_failed");
  expect(good.status).toBe(200);
});

test("streamed, the failure is an error frame after the tokens so far, then [DONE]", async () => {
  const res = await complete({ ...overreach, stream: true });
  expect(res.status).toBe(200);
  const events = parseSse(await res.text());
  expect(events.at(-1)!.data).toBe("[DONE]");
  const last = JSON.parse(events.at(-2)!.data) as { error?: { code: string } };
  expect(last.error?.code).toBe("generation_failed");
  expect(events.length).toBeGreaterThan(2); // some tokens came first
});

test("the failing model serves requests that stay in range, and the process is up", async () => {
  expect((await complete({ ...overreach, prompt: "Hello", max_tokens: 3 })).status).toBe(200);
  expect((await complete(healthy)).status).toBe(200);
  expect(ctx.server.proc.exitCode).toBeNull();
});
