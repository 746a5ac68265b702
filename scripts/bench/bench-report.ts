/** The benchmark's markdown: what was run, the single-stream table, the load table and the targets. */
import type { BenchOptions } from "./bench-options.ts";
import type { LoadResult } from "./load-run.ts";
import { markdownTable } from "./markdown-table.ts";
import { percentile } from "./percentile.ts";
import type { RawLoopResult } from "./raw-decode-loop.ts";

export interface SingleStreamRun {
  ttftMs: number;
  decodeTokPerS: number;
}

export interface BenchReport {
  model: string;
  opts: BenchOptions;
  rawRuns: RawLoopResult[];
  serverRuns: SingleStreamRun[];
  /** onnxruntime alone: decode tok/s of a batched step, by batch size. */
  ceilings: Map<number, number>;
  pastLength: number;
  loads: { mode: "continuous" | "naive"; r: LoadResult }[];
  machine: string;
  loadAverage: [number, number];
  seconds: number;
}

const ms = (v: number) => (Number.isNaN(v) ? "–" : v.toFixed(0));
const times = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : "–");

export function renderReport(b: BenchReport): string {
  const o = b.opts;
  // Medians of the alternating repetitions: one disturbed run on a shared machine does not decide the ratio.
  const rawPrefill = percentile(b.rawRuns.map((r) => r.prefillMs), 50);
  const rawDecode = percentile(b.rawRuns.map((r) => r.decodeTokPerS), 50);
  const srvTtft = percentile(b.serverRuns.map((r) => r.ttftMs), 50);
  const srvDecode = percentile(b.serverRuns.map((r) => r.decodeTokPerS), 50);
  const single = markdownTable(
    ["single stream", `prefill ms (${o.promptTokens}-token prompt)`, "decode tok/s"],
    [
      ["raw onnxruntime loop", ms(rawPrefill), rawDecode.toFixed(1)],
      ["server, streamed (prefill = time to first token)", ms(srvTtft), srvDecode.toFixed(1)],
      ["server / raw", times(srvTtft / rawPrefill), times(srvDecode / rawDecode)],
    ],
  );

  const one = (mode: string) => b.loads.find((l) => l.mode === mode && l.r.clients === 1)?.r;
  const rows = b.loads.map(({ mode, r }) => {
    const base = one(mode);
    const ceiling = b.ceilings.get(r.clients) ?? NaN;
    return [
      mode,
      String(r.clients),
      r.aggregateTokPerS.toFixed(1),
      base ? times(r.aggregateTokPerS / base.aggregateTokPerS) : "–",
      mode === "continuous" ? ceiling.toFixed(1) : "",
      mode === "continuous" ? times(r.aggregateTokPerS / ceiling) : "",
      ms(r.ttftSteady.p50),
      ms(r.ttftSteady.p99),
      ms(r.ttftBurst.p50),
      ms(r.ttftBurst.p99),
      ms(r.itl.p50),
      ms(r.itl.p99),
    ];
  });
  const load = markdownTable(
    ["mode", "clients", "aggregate tok/s", "× 1 client", "onnxruntime alone, tok/s", "server / that", "TTFT p50 ms", "TTFT p99 ms", "burst TTFT p50", "burst TTFT p99", "ITL p50 ms", "ITL p99 ms"],
    rows,
  );

  const c1 = one("continuous");
  const c8 = b.loads.find((l) => l.mode === "continuous" && l.r.clients === 8)?.r;
  const targets = [`- single-stream decode ≥ 0.9× the raw loop: ${times(srvDecode / rawDecode)}`];
  if (c1 && c8) {
    const ceilingRatio = (b.ceilings.get(8) ?? NaN) / (b.ceilings.get(1) ?? NaN);
    targets.push(
      `- aggregate at 8 streams ≥ 4× one stream: ${times(c8.aggregateTokPerS / c1.aggregateTokPerS)} ` +
        `(onnxruntime alone, batch 8 vs batch 1 decode steps: ${times(ceilingRatio)})`,
    );
    targets.push(
      `- TTFT p50 at 8 streams ≤ 3× idle TTFT: ${times(c8.ttftSteady.p50 / c1.ttftSteady.p50)} for requests arriving while others stream, ` +
        `${times(c8.ttftBurst.p50 / c1.ttftBurst.p50)} when all 8 arrive at once`,
    );
  }
  const env = Object.entries(o.env).map(([k, v]) => `${k}=${v}`).join(" ");
  return [
    `## gpt3dev-api bench: ${b.model} (GPT-2 124M shape, fp32, random weights)`,
    "",
    `${b.machine}${env ? `; environment ${env}` : ""}; load average ${b.loadAverage[0].toFixed(1)} before, ${b.loadAverage[1].toFixed(1)} after; ${b.seconds.toFixed(0)} s.`,
    "",
    `Single stream: greedy, ${o.outputTokens} tokens after a ${o.promptTokens}-token prompt; median of ${o.reps} runs each, raw loop and server alternating.`,
    "",
    single,
    "",
    `Streaming clients: ${o.promptTokens}-token prompts (all different), ${o.outputTokens} output tokens with ignore_eos, temperature 0, logprobs 0 ` +
      `(so every token is its own chunk); each client sends ${o.rounds} request(s) back to back. ` +
      `TTFT p50/p99: requests of rounds 2+, arriving while the others stream; "burst": round 1, every client at once. ` +
      `ITL: gap between a stream's chunks. "× 1 client": against the same mode's 1-client row. ` +
      `"onnxruntime alone": a raw loop's batched decode steps at that batch size over a ${b.pastLength}-token cache (no prefill, no HTTP) — the ceiling.`,
    "",
    load,
    "",
    "Targets (2 cores):",
    ...targets,
  ].join("\n");
}
