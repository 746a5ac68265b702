import { Elysia } from "elysia";
import type { ServerMetrics } from "./server-metrics.ts";

/** GET /metrics in the Prometheus text format (registered only when METRICS is on or auth). */
export function metricsRoute(metrics: ServerMetrics) {
  return new Elysia().get(
    "/metrics",
    () => new Response(metrics.render(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } }),
  );
}
