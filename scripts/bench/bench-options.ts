/** The benchmark's flags. */
export interface BenchOptions {
  /** Precision table: SOURCE:DTYPE cases (precision-bench.ts). */
  cases: string[];
  /** Precision table: concurrent streams of the aggregate column. */
  streams: number;
  /** Precision table: interleaved rounds (ours, then llama-server, per round). */
  rounds: number;
  /** llama-server binary: adds its figures on the same weights, side by side. */
  llamaServer: string | null;
  /** peer-bench's models folder instead of the factory's test-gpt2-small. */
  models: string | null;
  /** The detailed report on the export instead: single stream vs a raw onnxruntime loop, a concurrency sweep, naive batching. */
  detail: boolean;
  concurrency: number[];
  naiveConcurrency: number[];
  outputTokens: number;
  promptTokens: number;
  /** Detailed report: requests per client, back to back. */
  requestsPerClient: number;
  threads: number;
  /** Detailed report: single-stream repetitions, alternating raw loop and server. */
  reps: number;
  naive: boolean;
  /** The constrained-decoding table (per-step cost of structured output beside free decoding). */
  constrained: boolean;
  /** Extra environment for the server and raw-loop processes (e.g. allocator settings). */
  env: Record<string, string>;
}

export const BENCH_HELP = `bun run bench [flags]
  By precision (the default): test-gpt2-small as an ONNX export and as graphs built from the same weights at
  fp32 / q8 / q4, one stream and N concurrent streams; with --llama-server, llama-server on the same weights
  (F32 / Q8_0 / Q4_0 GGUF) in interleaved rounds, with ratios.
  --cases "onnx:fp32 hf:fp32 hf:q8 hf:q4"   SOURCE:DTYPE, SOURCE onnx | hf (checkpoint) | gguf
  --llama-server BIN      llama.cpp's llama-server (llama-quantize beside it makes the Q8_0 / Q4_0 files)
  --models DIR            peer-bench's models folder (gpt2-small/, gpt2-small-hf/) instead of the factory's
  --streams N             concurrent streams of the aggregate column (default 8)
  --rounds N              interleaved rounds (default 3)
  --quick                 one round, 32 output tokens
  --detail                the detailed report on the export instead: single stream vs a raw onnxruntime loop,
                          1…16 clients with continuous and naive batching
    --concurrency 1,4,8,16  client counts      --naive-concurrency L / --no-naive   the naive baseline
    --reps N                single-stream repetitions (default 3)
    --no-constrained        skip the constrained-decoding table (structured output's per-step cost)
  --tokens N              output tokens per request (default 128)
  --prompt N              prompt tokens per request (default 128)
  --threads N             onnxruntime intra-op threads (default 0 = one per core; llama-server gets as many)
  --env KEY=VALUE         environment for the server (and raw loop), e.g. MIMALLOC_PURGE_DELAY=-1 (repeatable)`;

export function parseBenchOptions(argv: string[]): BenchOptions {
  const o: BenchOptions = {
    cases: ["onnx:fp32", "hf:fp32", "hf:q8", "hf:q4"],
    streams: 8,
    rounds: 3,
    llamaServer: null,
    models: null,
    detail: false,
    concurrency: [1, 4, 8, 16],
    naiveConcurrency: [],
    outputTokens: 128,
    promptTokens: 128,
    requestsPerClient: 2,
    threads: 0,
    reps: 3,
    naive: true,
    constrained: true,
    env: {},
  };
  let naiveSet = false;
  const list = (v: string) => v.split(",").map((x) => positive(x));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case "--quick":
        o.outputTokens = 32;
        o.rounds = 1;
        o.concurrency = [1, 4, 8];
        o.reps = 1;
        break;
      case "--cases":
        o.cases = value().split(/[\s,]+/).filter(Boolean);
        break;
      case "--streams":
        o.streams = positive(value());
        break;
      case "--llama-server":
        o.llamaServer = value();
        break;
      case "--models":
        o.models = value();
        break;
      case "--detail":
        o.detail = true;
        break;
      case "--concurrency":
        o.concurrency = list(value());
        break;
      case "--naive-concurrency":
        o.naiveConcurrency = list(value());
        naiveSet = true;
        break;
      case "--no-naive":
        o.naive = false;
        break;
      case "--no-constrained":
        o.constrained = false;
        break;
      case "--tokens":
        o.outputTokens = positive(value());
        break;
      case "--prompt":
        o.promptTokens = positive(value());
        break;
      case "--rounds":
        o.rounds = positive(value());
        break;
      case "--threads":
        o.threads = Number(value());
        break;
      case "--reps":
        o.reps = positive(value());
        break;
      case "--env": {
        const [key, ...rest] = value().split("=");
        if (!key || rest.length === 0) throw new Error("--env needs KEY=VALUE");
        o.env[key] = rest.join("=");
        break;
      }
      case "--help":
      case "-h":
        console.log(BENCH_HELP);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown flag ${arg}\n${BENCH_HELP}`);
    }
  }
  if (!naiveSet) o.naiveConcurrency = o.concurrency;
  return o;
}

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive integer, got '${v}'`);
  return n;
}
