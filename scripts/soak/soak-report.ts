import type { Outcome } from "./workload.ts";

export interface SoakSummary {
  seconds: number;
  concurrency: number;
  outcomes: Outcome[];
  rssStart: number | null;
  rssPeak: number | null;
  rssEnd: number | null;
  rssAfterIdle: number | null;
  exitCode: number | null;
  idleAfter: { activeSequences: number; queued: number; inFlight: number } | null;
}

const mb = (b: number | null) => (b === null ? "n/a" : `${(b / 1024 / 1024).toFixed(1)} MB`);

/** The soak's result as markdown tables: totals, outcomes by status, and per request kind. */
export function soakReport(s: SoakSummary): string {
  const byStatus = new Map<string, number>();
  const byKind = new Map<string, Map<string, number>>();
  for (const o of s.outcomes) {
    const st = String(o.status);
    byStatus.set(st, (byStatus.get(st) ?? 0) + 1);
    const k = byKind.get(o.kind) ?? new Map<string, number>();
    k.set(st, (k.get(st) ?? 0) + 1);
    byKind.set(o.kind, k);
  }
  const served = s.outcomes.filter((o) => typeof o.status === "number" && o.status < 400).length;
  const serverErrors = s.outcomes.filter((o) => typeof o.status === "number" && o.status >= 500).length;
  const lines = [
    `## Soak: ${s.seconds} s, ${s.concurrency} concurrent clients`,
    "",
    "| measure | value |",
    "|---|---|",
    `| requests sent | ${s.outcomes.length} |`,
    `| served (2xx) | ${served} |`,
    `| refused as expected (4xx) | ${s.outcomes.filter((o) => typeof o.status === "number" && o.status >= 400 && o.status < 500).length} |`,
    `| server errors (5xx) | ${serverErrors} |`,
    `| client aborts (dropped streams + timeouts) | ${s.outcomes.filter((o) => o.clientAbort).length} |`,
    `| throughput | ${(s.outcomes.length / s.seconds).toFixed(1)} req/s |`,
    `| RSS at start (models loaded) | ${mb(s.rssStart)} |`,
    `| RSS peak (sampled each second) | ${mb(s.rssPeak)} |`,
    `| RSS at end of load | ${mb(s.rssEnd)} |`,
    `| RSS after 3 s idle | ${mb(s.rssAfterIdle)} |`,
    `| after load: active sequences / queued / in flight | ${s.idleAfter ? `${s.idleAfter.activeSequences} / ${s.idleAfter.queued} / ${s.idleAfter.inFlight}` : "n/a"} |`,
    `| exit code after SIGTERM | ${s.exitCode ?? "n/a"} |`,
    "",
    "| outcome | count |",
    "|---|---|",
    ...[...byStatus.entries()].sort().map(([st, n]) => `| ${st} | ${n} |`),
    "",
    "| request kind | outcomes |",
    "|---|---|",
    ...[...byKind.entries()].sort().map(([kind, m]) => `| ${kind} | ${[...m.entries()].sort().map(([st, n]) => `${st}: ${n}`).join(", ")} |`),
  ];
  return lines.join("\n");
}
