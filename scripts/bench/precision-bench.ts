/**
 * The precision table: each case (a form of the one bench model, served by us) at one stream and at `streams`
 * concurrent streams, and — given a llama-server binary — llama-server on the GGUF of the same precision, in
 * interleaved rounds (ours, then llama-server, per round) so both see the same machine. Medians over rounds; ratios
 * are medians of the per-round ratios.
 *
 * Cases are SOURCE:DTYPE: onnx:fp32 (the Optimum export as published), hf:fp32 | hf:q8 | hf:q4 (graphs the server
 * builds from the checkpoint), gguf:fp32 | gguf:q8 | gguf:q4 (the GGUF file llama-server runs, built by us at its
 * own precision). llama-server runs the F32 / Q8_0 / Q4_0 file of the case's dtype.
 */
import * as os from "node:os";
import * as path from "node:path";
import * as fs from "node:fs";
import { stringify } from "yaml";
import { benchModels, type BenchDtype, type BenchModels } from "./bench-models.ts";
import type { BenchOptions } from "./bench-options.ts";
import { startBenchServer } from "./bench-server.ts";
import { startLlamaServer } from "./llama-server.ts";
import { runLoad, singleStream } from "./load-run.ts";
import { markdownTable } from "./markdown-table.ts";
import { percentile } from "./percentile.ts";

interface Figures {
  c1: number;
  ttft1: number;
  agg: number;
  ttftN: number;
}

interface CaseSpec {
  id: string;
  source: "onnx" | "hf" | "gguf";
  dtype: BenchDtype;
}

const SINGLE_REQUESTS = 3;
const REPO_ROOT = path.resolve(import.meta.dir, "..", "..");

export async function precisionBench(o: BenchOptions, log: (line: string) => void): Promise<string> {
  const started = performance.now();
  const loadBefore = os.loadavg()[0]!;
  const cases = o.cases.map(parseCase);
  const llamaBin = o.llamaServer;
  const models = await benchModels(o.models, llamaBin ? path.dirname(llamaBin) : null, log);
  const registryDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-precision-"));
  const registry = path.join(registryDir, "registry.yaml");
  fs.writeFileSync(registry, stringify(await Promise.all(cases.map((c) => entry(c, models)))));
  const ggufs = llamaBin ? Object.fromEntries(await Promise.all(cases.map(async (c) => [c.id, await models.gguf(c.dtype)] as const))) : {};
  const ours: Record<string, Figures[]> = {};
  const theirs: Record<string, Figures[]> = {};
  const loads: number[] = [];
  try {
    for (let round = 1; round <= o.rounds; round++) {
      loads.push(os.loadavg()[0]!);
      log(`round ${round}/${o.rounds}: our server`);
      const server = await startBenchServer(registry, ["--threads", String(o.threads), "--max-batch-size", String(Math.max(16, o.streams))], {
        MODEL_CACHE_DIR: path.join(REPO_ROOT, ".cache", "bench-cache"),
        ...o.env,
      });
      try {
        for (const c of cases) {
          await singleStream(server.url, c.id, 8, 4, 0); // loads (and on the first round builds) the model
          (ours[c.id] ??= []).push(await measure(server.url, c.id, o, 100 * round, {}));
          log(`  ${c.id}: ${fmt(ours[c.id]!.at(-1)!)}`);
        }
      } finally {
        await server.stop();
      }
      if (!llamaBin) continue;
      for (const c of cases) {
        log(`round ${round}/${o.rounds}: llama-server on ${path.basename(ggufs[c.id]!)}`);
        const llama = await startLlamaServer(llamaBin, ggufs[c.id]!, o.threads || os.availableParallelism(), o.streams, 18700 + round);
        try {
          await singleStream(llama.url, "x", 8, 4, 0, { n_predict: 4 });
          (theirs[c.id] ??= []).push(await measure(llama.url, "x", o, 100 * round, { n_predict: o.outputTokens, logprobs: undefined }));
          log(`  llama ${c.id}: ${fmt(theirs[c.id]!.at(-1)!)}`);
        } finally {
          await llama.stop();
        }
      }
    }
  } finally {
    fs.rmSync(registryDir, { recursive: true, force: true });
  }
  return report(o, models, cases, ours, llamaBin ? theirs : null, loads, loadBefore, (performance.now() - started) / 1000);
}

function parseCase(text: string): CaseSpec {
  const [source, dtype] = text.split(":") as [string, string];
  if (!["onnx", "hf", "gguf"].includes(source) || !["fp32", "q8", "q4"].includes(dtype) || (source === "onnx" && dtype !== "fp32")) {
    throw new Error(`case ${text}: expected onnx:fp32, hf:fp32|q8|q4 or gguf:fp32|q8|q4`);
  }
  return { id: `${source}-${dtype}`, source: source as CaseSpec["source"], dtype: dtype as BenchDtype };
}

async function entry(c: CaseSpec, m: BenchModels): Promise<Record<string, unknown>> {
  if (c.source === "onnx") return { name: c.id, path: m.onnxDir, device: "cpu", tiktoken_encoding: "gpt2" };
  if (c.source === "hf") return { name: c.id, path: m.hfDir, dtype: c.dtype, device: "cpu" };
  return { name: c.id, path: await m.gguf(c.dtype), device: "cpu" };
}

/** One stream (three requests in turn), then `streams` clients sending two requests each. */
async function measure(url: string, model: string, o: BenchOptions, salt: number, extra: Record<string, unknown>): Promise<Figures> {
  const single: { ttftMs: number; decodeTokPerS: number }[] = [];
  for (let i = 0; i < SINGLE_REQUESTS; i++) single.push(await singleStream(url, model, o.promptTokens, o.outputTokens, salt + i, extra));
  const load = await runLoad({ url, model, clients: o.streams, rounds: 2, promptTokens: o.promptTokens, outputTokens: o.outputTokens, extra }, 1000 * salt);
  return {
    c1: percentile(single.map((s) => s.decodeTokPerS), 50),
    ttft1: percentile(single.map((s) => s.ttftMs), 50),
    agg: load.aggregateTokPerS,
    ttftN: load.ttftAll.p50,
  };
}

const fmt = (f: Figures) => `c1 ${f.c1.toFixed(1)} tok/s (TTFT ${f.ttft1.toFixed(0)} ms), aggregate ${f.agg.toFixed(1)} tok/s, TTFT p50 ${f.ttftN.toFixed(0)} ms`;
const med = (xs: number[]) => percentile(xs.filter(Number.isFinite), 50);

function report(o: BenchOptions, m: BenchModels, cases: CaseSpec[], ours: Record<string, Figures[]>, theirs: Record<string, Figures[]> | null, loads: number[], loadBefore: number, seconds: number): string {
  const N = o.streams;
  const rows = cases.map((c) => {
    const a = ours[c.id]!;
    const g = (k: keyof Figures) => med(a.map((f) => f[k]));
    if (!theirs) return [c.id, g("c1").toFixed(1), g("ttft1").toFixed(0), g("agg").toFixed(1), g("ttftN").toFixed(0)];
    const b = theirs[c.id]!;
    const h = (k: keyof Figures) => med(b.map((f) => f[k]));
    const ratio = (k: keyof Figures) => med(a.map((f, i) => f[k] / b[i]![k])).toFixed(2) + "×";
    return [c.id, g("c1").toFixed(1), h("c1").toFixed(1), ratio("c1"), g("agg").toFixed(1), h("agg").toFixed(1), ratio("agg"), `${g("ttftN").toFixed(0)} / ${h("ttftN").toFixed(0)}`];
  });
  const header = theirs
    ? ["case", "ours c1 tok/s", "llama c1", "ratio", `ours c${N} agg tok/s`, `llama c${N}`, "ratio", `TTFT p50 c${N} ours / llama ms`]
    : ["case", "c1 decode tok/s", "c1 TTFT ms", `c${N} aggregate tok/s`, `TTFT p50 c${N} ms`];
  const targets = theirs
    ? ["", "Targets (issue 14): c1 ratio ≥ 1.0×, aggregate ratio ≥ 1.5×, TTFT p50 ours ≤ llama's; the onnx case no slower than before."]
    : [];
  return [
    `## gpt3dev-api bench: ${m.label}, by precision${theirs ? ", against llama-server on the same weights" : ""}`,
    "",
    `${os.cpus()[0]?.model ?? "cpu"}, ${os.availableParallelism()} cores, threads ${o.threads || os.availableParallelism()}; ${o.rounds} interleaved round(s); ` +
      `${o.promptTokens}-token prompts → ${o.outputTokens} tokens, greedy, ignore_eos; c1 = median of ${SINGLE_REQUESTS} requests one at a time, ` +
      `c${N} = ${N} clients × 2 requests; load average ${loadBefore.toFixed(1)} before, per round ${loads.map((l) => l.toFixed(1)).join(" / ")}, ` +
      `${os.loadavg()[0]!.toFixed(1)} after; ${seconds.toFixed(0)} s. Cases: onnx = the Optimum export as published; hf = graphs built from the ` +
      `checkpoint (engine-owned KV); gguf = the GGUF file built at its own precision.${theirs ? " llama-server: F32 / Q8_0 / Q4_0 of the same weights." : ""}`,
    "",
    markdownTable(header, rows),
    ...targets,
  ].join("\n");
}
