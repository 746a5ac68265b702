/**
 * `bun run bench`: what a user of the server gets, as markdown tables. By default the precision table
 * (precision-bench.ts): one model as an ONNX export and as graphs built from the same weights at fp32 / q8 / q4,
 * one stream and N streams, side by side with llama-server when given its binary. `--detail`: the detailed report
 * on the export (detail-bench.ts). `--help` lists the flags.
 */
import { parseBenchOptions } from "./bench/bench-options.ts";
import { detailBench } from "./bench/detail-bench.ts";
import { precisionBench } from "./bench/precision-bench.ts";

const opts = parseBenchOptions(process.argv.slice(2));
const t0 = performance.now();
const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(0)}s] ${line}\n`);
console.log(opts.detail ? await detailBench(opts, log) : await precisionBench(opts, log));
