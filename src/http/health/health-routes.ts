import { Elysia } from "elysia";
import type { ServerContext } from "../shared/server-context.ts";

/** Liveness: the process answers. It also shows the engine's load, which tests and operators read. */
export function healthRoutes(ctx: ServerContext) {
  return new Elysia().get("/healthz", () => {
    const s = ctx.pool.stats();
    return { status: "ok", active_sequences: s.activeSequences, queued_requests: s.queued };
  });
}
