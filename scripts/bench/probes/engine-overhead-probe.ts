/**
 * What today's engine loop costs beyond onnxruntime: the real model pool and scheduler (no HTTP) generate 128
 * tokens after 128-token prompts on the peer-bench GPT-2 124M Optimum export, 1 and 8 requests at once, with every
 * session.run timed. Wall time outside run() is the engine's own work per step (feeds, BigInt masks, regathering
 * the cache, sampling, detokenizing, events) — single-threaded JS, so it is much less disturbed by other processes
 * than a side-by-side server run.
 *
 *   bun scripts/bench/probes/engine-overhead-probe.ts [--models /tmp/peer/models]
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { loadSettings } from "../../../src/config/load-settings.ts";
import { DEFAULT_SAMPLING } from "../../../src/engine/generation/sampling-params.ts";
import type { GenerationEvent, GenerationRequest } from "../../../src/engine/generation/generation-types.ts";
import { ModelPool } from "../../../src/engine/model-pool.ts";
import { loadRegistry } from "../../../src/registry/load-registry.ts";
import { loadLine, table } from "./probe-kit.ts";

const at = process.argv.indexOf("--models");
const MODELS = at >= 0 ? process.argv[at + 1]! : "/tmp/peer/models";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-overhead-"));
const registry = path.join(dir, "registry.yaml");
fs.writeFileSync(registry, `- name: peer-gpt2\n  path: ${path.join(MODELS, "gpt2-small")}\n`);

// every run() of every session, timed
let runMs = 0;
let runs = 0;
// the class behind the factory type the package exports
const proto = (ort.InferenceSession as unknown as { prototype: { run: (...a: unknown[]) => Promise<unknown> } }).prototype;
const original = proto.run;
proto.run = async function (this: unknown, ...args: unknown[]) {
  const t = performance.now();
  try {
    return await original.apply(this, args);
  } finally {
    runMs += performance.now() - t;
    runs++;
  }
};

const { settings } = loadSettings(["--registry", registry, "--include-default-models=false", "--threads", "2"], {});
const pool = new ModelPool(loadRegistry(settings), settings, { endpoint: settings.hfEndpoint, token: "", offline: true, cacheDir: dir });
const model = await pool.get("peer-gpt2");
if (model.kind !== "text-generation") throw new Error("not a text model");

const prompt = (salt: number) => Array.from({ length: 128 }, (_, i) => (i * 7919 + salt * 104729 + 464) % 50000);
function request(salt: number): GenerationRequest {
  return {
    promptIds: prompt(salt),
    n: 1,
    maxTokens: 128,
    stop: [],
    ignoreEos: true,
    logprobs: null,
    promptLogprobs: null,
    scoreSequences: false,
    signal: new AbortController().signal,
    sampling: { ...DEFAULT_SAMPLING, temperature: 0 },
  } as GenerationRequest;
}
async function drain(events: AsyncIterable<GenerationEvent>): Promise<void> {
  for await (const e of events) if (e.type === "error") throw e.error;
}

const rows: (string | number)[][] = [];
for (const streams of [1, 8, 1, 8]) {
  runMs = 0;
  runs = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: streams }, (_, i) => drain(model.scheduler.submit(request(i + streams * 100)))));
  const wall = performance.now() - t;
  rows.push([String(streams), runs, wall, runMs, (wall - runMs) / runs, (100 * (wall - runMs)) / wall]);
}
console.log(`# today's engine loop beyond session.run (peer-bench GPT-2 124M Optimum export, 128 → 128, 2 threads; ${loadLine()})\n`);
console.log(table(["streams", "runs", "wall ms", "in session.run ms", "outside run, ms per run", "outside run, % of wall"], rows));
proto.run = original;
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
