/**
 * Soak: start the server on the test models, run a mixed load with client aborts for a set time, then print
 * requests served, outcomes by status and RSS at start and end as markdown. Not a test: it reports, and
 * exits 1 only when the server answered 5xx, did not go idle afterwards, or did not exit 0 on SIGTERM.
 *
 *   bun run soak [--seconds 60] [--concurrency 8]
 */
import { ensureTestModels } from "./make-test-models.ts";
import { soakReport } from "./soak/soak-report.ts";
import { rssOf, spawnServer } from "./soak/spawn-server.ts";
import { pickJob, type Outcome } from "./soak/workload.ts";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
  return v;
}

const seconds = flag("--seconds", 60);
const concurrency = flag("--concurrency", 8);
const { registryPath } = await ensureTestModels();
const server = await spawnServer(registryPath);
const pid = server.proc.pid;

// Load every model first, so the starting RSS is the server at work, not the server before its first request.
for (const job of ["completion", "chat", "embeddings", "tokenize round trip"]) await pickJobNamed(job)(server.url);

const rssStart = await rssOf(pid);
let rssPeak = rssStart ?? 0;
const sampler = setInterval(async () => (rssPeak = Math.max(rssPeak, (await rssOf(pid)) ?? 0)), 1000);
const outcomes: Outcome[] = [];
const deadline = performance.now() + seconds * 1000;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) outcomes.push(await pickJob().run(server.url));
  }),
);
clearInterval(sampler);
const rssEnd = await rssOf(pid);
await Bun.sleep(3000);
const rssAfterIdle = await rssOf(pid);
const idleAfter = await idleState(server.url);
const exitCode = await server.stop();

console.log(soakReport({ seconds, concurrency, outcomes, rssStart, rssPeak, rssEnd, rssAfterIdle, exitCode, idleAfter }));
const fivexx = outcomes.filter((o) => typeof o.status === "number" && o.status >= 500).length;
const busy = idleAfter === null || idleAfter.activeSequences > 0 || idleAfter.queued > 0 || idleAfter.inFlight > 1;
process.exit(fivexx > 0 || busy || exitCode !== 0 ? 1 : 0);

function pickJobNamed(kind: string) {
  for (;;) {
    const j = pickJob();
    if (j.kind === kind) return j.run;
  }
}

async function idleState(url: string): Promise<{ activeSequences: number; queued: number; inFlight: number } | null> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const get = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
    return { activeSequences: get("gpt3dev_active_sequences"), queued: get("gpt3dev_queue_depth"), inFlight: get("gpt3dev_in_flight_requests") };
  } catch {
    return null;
  }
}
