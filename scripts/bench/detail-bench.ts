/**
 * The detailed report: serves test-gpt2-small (GPT-2 124M's shape, random weights, the ONNX export) and measures
 * one stream next to a raw onnxruntime decode loop (its ceiling), then 1…16 concurrent streaming clients with
 * continuous batching (next to what onnxruntime alone does at that batch size) and with the naive
 * one-loop-per-request baseline — and what structured output adds per decode step (JSON formats, schemas, forced
 * tool calls beside free decoding, on the same model with a ChatML template and on the tiny test-chat).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { CHATML_TEMPLATE } from "../onnx/test-model-recipes.ts";
import { ensureTestModels } from "../make-test-models.ts";
import { startBenchServer, type BenchServer } from "./bench-server.ts";
import type { BenchOptions } from "./bench-options.ts";
import { runLoad, singleStream, type LoadResult } from "./load-run.ts";
import { renderReport, type SingleStreamRun } from "./bench-report.ts";
import { measureConstrained, renderConstrained } from "./constrained-cost.ts";
import type { RawLoopResult } from "./raw-decode-loop.ts";

const MODEL = "test-gpt2-small";
const CHAT_MODEL = "test-gpt2-small-chat";

export async function detailBench(opts: BenchOptions, log: (line: string) => void): Promise<string> {
  const t0 = performance.now();
  const loadBefore = os.loadavg()[0]!;
  log("making sure test-gpt2-small exists (≈500 MB, a few seconds the first time)");
  const models = await ensureTestModels({ preset: "small" });
  const modelFile = path.join(models.dir, MODEL, "onnx", "model.onnx");
  const registryPath = benchRegistry();

  // Single stream: the raw loop (its own process) and the server alternate, so both see the same machine.
  let server = await start("continuous");
  const rawRuns: RawLoopResult[] = [];
  const serverRuns: SingleStreamRun[] = [];
  for (let rep = 0; rep < opts.reps; rep++) {
    log(`single stream ${rep + 1}/${opts.reps}: raw loop`);
    rawRuns.push(await rawLoop<RawLoopResult>(["single", String(opts.promptTokens), String(opts.outputTokens)]));
    log(`single stream ${rep + 1}/${opts.reps}: server`);
    serverRuns.push(await singleStream(server.url, MODEL, opts.promptTokens, opts.outputTokens + 1, 20 + rep));
  }

  // What onnxruntime alone does per batched step, at the average cache length of the load runs.
  const pastLength = opts.promptTokens + Math.floor(opts.outputTokens / 2);
  const batches = [...new Set([1, ...opts.concurrency])].sort((a, b) => a - b);
  log(`raw batched decode steps at batch ${batches.join(", ")} (past ${pastLength})`);
  const ceilings = await rawLoop<Record<string, { msPerStep: number; tokPerS: number }>>(["batched", String(pastLength), String(Math.min(16, opts.outputTokens)), batches.join(",")]);

  const loads: { mode: "continuous" | "naive"; r: LoadResult }[] = [];
  for (const clients of opts.concurrency) loads.push({ mode: "continuous", r: await load(server, clients) });
  const constrained: string[] = [];
  if (opts.constrained) {
    for (const model of [CHAT_MODEL, "test-chat"]) {
      const rows = await measureConstrained({ url: server.url, model, tokens: opts.outputTokens, concurrency: [1, 8], reps: Math.min(opts.reps, 2), log });
      const label = model === CHAT_MODEL ? `${CHAT_MODEL}: ${MODEL} with a ChatML template` : "test-chat: 2 layers, width 64 — the grammar's share at its largest";
      constrained.push(renderConstrained(label, opts.outputTokens, Math.min(opts.reps, 2), rows));
    }
  }
  await server.stop();
  if (opts.naive) {
    server = await start("naive");
    for (const clients of opts.naiveConcurrency) loads.push({ mode: "naive", r: await load(server, clients) });
    await server.stop();
  }

  fs.rmSync(path.dirname(registryPath), { recursive: true, force: true });
  return [
    renderReport({
      model: MODEL,
      opts,
      rawRuns,
      serverRuns,
      ceilings: new Map(Object.entries(ceilings).map(([b, v]) => [Number(b), v.tokPerS])),
      pastLength,
      loads,
      machine: `${os.cpus()[0]?.model ?? "cpu"}, ${os.availableParallelism()} cores, onnxruntime threads ${opts.threads || os.availableParallelism()}; Bun ${Bun.version}`,
      loadAverage: [loadBefore, os.loadavg()[0]!],
      seconds: (performance.now() - t0) / 1000,
    }),
    ...constrained,
  ].join("\n\n");

  async function start(batching: "continuous" | "naive"): Promise<BenchServer> {
    log(`starting the server (--batching ${batching})`);
    const s = await startBenchServer(registryPath, ["--threads", String(opts.threads), "--max-batch-size", "16", "--batching", batching], opts.env);
    await singleStream(s.url, MODEL, 8, 4, 0); // loads the model
    return s;
  }

  /** The test registry plus MODEL again with a ChatML template, so chat (and structured output) can run on it. */
  function benchRegistry(): string {
    const base = path.dirname(models.registryPath);
    const entries = (parse(fs.readFileSync(models.registryPath, "utf8")) as { name: string; path?: string }[]).map((e) => (e.path ? { ...e, path: path.resolve(base, e.path) } : e));
    const small = entries.find((e) => e.name === MODEL)!;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-registry-")), "registry.yaml");
    fs.writeFileSync(file, stringify([...entries, { ...small, name: CHAT_MODEL, chat_template: CHATML_TEMPLATE }]));
    return file;
  }

  async function load(s: BenchServer, clients: number): Promise<LoadResult> {
    log(`${clients} client(s) × ${opts.requestsPerClient} request(s)`);
    const r = await runLoad({ url: s.url, model: MODEL, clients, rounds: opts.requestsPerClient, promptTokens: opts.promptTokens, outputTokens: opts.outputTokens }, 1000 * clients);
    log(`  ${r.aggregateTokPerS.toFixed(1)} tok/s, TTFT p50 ${r.ttftSteady.p50.toFixed(0)} ms`);
    return r;
  }

  async function rawLoop<T>(args: string[]): Promise<T> {
    const proc = Bun.spawn(["bun", path.join(import.meta.dir, "raw-loop-main.ts"), modelFile, String(opts.threads), ...args], {
      env: { ...process.env, ...opts.env },
      stdout: "pipe",
      stderr: "inherit",
    });
    const out = await new Response(proc.stdout).text();
    if ((await proc.exited) !== 0) throw new Error(`raw loop failed (${args.join(" ")})`);
    return JSON.parse(out.trim().split("\n").at(-1)!) as T;
  }
}
