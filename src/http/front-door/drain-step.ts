import { notAccepting, type InFlightRequests } from "../lifecycle/in-flight.ts";
import { errorResponse } from "../shared/error-response.ts";
import type { DoorStep } from "./compose.ts";

/** Probes keep answering while the server drains, so orchestrators can see it draining. */
const PROBES = new Set(["/healthz", "/readyz", "/metrics"]);

/** After SIGTERM, new requests (other than probes) are refused with 503 server_shutting_down. */
export function refuseWhileDraining(inFlight: InFlightRequests): DoorStep {
  return (ctx, next) => (inFlight.draining && !PROBES.has(ctx.path) ? Promise.resolve(errorResponse(notAccepting())) : next());
}
