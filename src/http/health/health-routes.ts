import { Elysia } from "elysia";
import type { ServerContext } from "../shared/server-context.ts";

export interface Readiness {
  readonly draining: boolean;
}

/**
 * Liveness (/healthz: the process answers; it also shows the engine's load) and readiness (/readyz: 503 while
 * draining for shutdown, or when no configured model can be served because every one failed to load).
 * Models load lazily, so "not loaded yet" counts as servable.
 */
export function healthRoutes(ctx: ServerContext, readiness: Readiness = { draining: false }) {
  return new Elysia()
    .get("/healthz", () => {
      const s = ctx.pool.stats();
      return { status: "ok", active_sequences: s.activeSequences, queued_requests: s.queued };
    })
    .get("/readyz", () => {
      const models: Record<string, string> = {};
      for (const spec of ctx.pool.list()) models[spec.id] = ctx.pool.state(spec.id).state;
      const servable = Object.values(models).some((state) => state !== "failed");
      const status = readiness.draining ? "draining" : servable ? "ready" : "unavailable";
      return new Response(JSON.stringify({ status, models }), {
        status: status === "ready" ? 200 : 503,
        headers: { "content-type": "application/json" },
      });
    });
}
