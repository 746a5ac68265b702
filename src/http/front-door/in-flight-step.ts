import type { InFlightRequests } from "../lifecycle/in-flight.ts";
import type { DoorStep } from "./compose.ts";

/**
 * An admitted request counts as in flight until its response has gone out (streams included), and the routes
 * see the client's disconnect and the drain deadline as one abort signal.
 */
export function trackInFlight(inFlight: InFlightRequests): DoorStep {
  return (ctx, next) => {
    const entry = inFlight.begin();
    ctx.onEnd.push(() => entry.done());
    ctx.forwarded = new Request(ctx.request, { signal: AbortSignal.any([ctx.request.signal, entry.signal]) });
    return next();
  };
}
