/**
 * What the served-model tests share: temp registries, and the two questions they ask the real server through the
 * official client — the log-prob of every prompt token (`echo` + `logprobs` + `max_tokens: 0`) and the greedy
 * continuation's tokens — plus the comparison of served log-probs with a float64 reference.
 */
import { expect } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type OpenAI from "openai";
import { stringify } from "yaml";
import { ModelDetailSchema } from "../../src/http/models/model-schema.ts";
import type { Extensions } from "../helpers/openai-api.ts";

export const LOGPROB_TOLERANCE = 1e-3;

export function tempRoot(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

export function writeRegistry(dir: string, entries: Record<string, unknown>[]): string {
  const file = path.join(dir, "registry.yaml");
  fs.writeFileSync(file, stringify(entries));
  return file;
}

/** Server arguments for a test registry and a cache folder of the test's own. */
export function serverOptions(registry: string, cacheDir: string, env: Record<string, string> = {}) {
  return { args: ["--registry", registry], env: { MODEL_CACHE_DIR: cacheDir, HF_HUB_OFFLINE: "1", ...env } };
}

/** log p(token t | tokens before it) for t = 1 … n−1, as served. */
export async function servedPromptLogprobs(client: OpenAI, model: string, ids: readonly number[]): Promise<{ logprobs: number[]; tokens: string[] }> {
  const r = await client.completions.create({ model, prompt: [...ids], echo: true, logprobs: 0, max_tokens: 0 });
  const lp = r.choices[0]!.logprobs!;
  return { logprobs: (lp.token_logprobs ?? []).slice(1) as number[], tokens: lp.tokens ?? [] };
}

/** The served greedy continuation's tokens (as text), EOS ignored so every step is compared. */
export async function servedGreedy(client: OpenAI, model: string, ids: readonly number[], steps: number): Promise<string[]> {
  const body = { model, prompt: [...ids], max_tokens: steps, temperature: 0, logprobs: 0, ignore_eos: true } as const;
  const r = await client.completions.create(body as Parameters<OpenAI["completions"]["create"]>[0] & Extensions & { stream?: false });
  return r.choices[0]!.logprobs!.tokens ?? [];
}

/** max |served − reference| over the prompt's positions; `reference[t]` is the log-softmax row at position t. */
export function worstPromptDiff(served: readonly number[], ids: readonly number[], reference: readonly ArrayLike<number>[]): number {
  let worst = 0;
  for (let t = 1; t < ids.length; t++) worst = Math.max(worst, Math.abs(served[t - 1]! - reference[t - 1]![ids[t]!]!));
  return worst;
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/** The detail conforms to the wire schema (which admits no extra properties). */
export function expectModelDetailSchema(detail: unknown): void {
  const errors = [...Value.Errors(ModelDetailSchema, detail)].slice(0, 3).map((e) => `${e.path}: ${e.message}`);
  expect(errors).toEqual([]);
}
