/** The benchmark's flags. */
export interface BenchOptions {
  concurrency: number[];
  naiveConcurrency: number[];
  outputTokens: number;
  promptTokens: number;
  rounds: number;
  threads: number;
  /** Single-stream measurements, alternating raw loop and server. */
  reps: number;
  naive: boolean;
  /** The constrained-decoding table (per-step cost of structured output beside free decoding). */
  constrained: boolean;
  /** Extra environment for the server and raw-loop processes (e.g. allocator settings). */
  env: Record<string, string>;
}

export const BENCH_HELP = `bun run bench [flags]
  --quick                 32 output tokens, concurrency 1,4,8, one single-stream rep (a couple of minutes)
  --concurrency 1,4,8,16  client counts for the load runs
  --naive-concurrency L   client counts for the naive baseline (default: same as --concurrency)
  --no-naive              skip the naive baseline
  --no-constrained        skip the constrained-decoding table (structured output's per-step cost)
  --tokens N              output tokens per request (default 128)
  --prompt N              prompt tokens per request (default 128)
  --rounds N              requests per client, back to back (default 2; round 1 is a burst)
  --threads N             onnxruntime intra-op threads for server and raw loop (default 0 = one per core)
  --reps N                single-stream repetitions (default 3)
  --env KEY=VALUE         environment for the server and the raw loop, e.g. MIMALLOC_PURGE_DELAY=-1 (repeatable)`;

export function parseBenchOptions(argv: string[]): BenchOptions {
  const o: BenchOptions = { concurrency: [1, 4, 8, 16], naiveConcurrency: [], outputTokens: 128, promptTokens: 128, rounds: 2, threads: 0, reps: 3, naive: true, constrained: true, env: {} };
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
        o.concurrency = [1, 4, 8];
        o.reps = 1;
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
