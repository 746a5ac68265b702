import type { Logger } from "../../observability/logger.ts";
import type { InFlightRequests } from "./in-flight.ts";

export interface ShutdownOptions {
  inFlight: InFlightRequests;
  /** Close the listening socket and every connection (called once drained, before exit). */
  close: () => void;
  drainTimeoutMs: number;
  logger: Logger;
  exit: (code: number) => void;
}

/**
 * SIGTERM/SIGINT: refuse new work with 503 (the socket stays open so /readyz can say "draining" to the
 * orchestrator while it takes the instance out), let in-flight requests finish for up to DRAIN_TIMEOUT, end
 * what is left with an error frame, close, exit 0. A second signal exits at once with 128 + the signal
 * number, as a shell reports a killed process.
 */
export function shutdownOnSignals(opts: ShutdownOptions): { shutdown: (signal: NodeJS.Signals) => Promise<void> } {
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      opts.logger.warn("second signal: exiting without waiting", { signal, in_flight: opts.inFlight.size });
      opts.exit(signal === "SIGINT" ? 130 : 143);
      return;
    }
    stopping = true;
    opts.logger.info("shutting down: draining in-flight requests", { signal, in_flight: opts.inFlight.size, drain_timeout_ms: opts.drainTimeoutMs });
    const cut = await opts.inFlight.drain(opts.drainTimeoutMs);
    opts.logger.info("shut down", { cut_requests: cut });
    opts.close();
    opts.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  return { shutdown };
}
