import type { Logger } from "../../observability/logger.ts";
import type { ApiKeys } from "../auth/api-keys.ts";
import { attachCaller } from "../auth/caller.ts";
import type { CorsPolicy } from "../cors/cors-policy.ts";
import type { InFlightRequests } from "../lifecycle/in-flight.ts";
import type { ServerMetrics } from "../observability/server-metrics.ts";
import { errorResponse } from "../shared/error-response.ts";
import { authenticate } from "./auth-step.ts";
import { discardBody } from "./body-discard-step.ts";
import { compose, doorContext, type DoorContext, type DoorStep } from "./compose.ts";
import { cors } from "./cors-step.ts";
import { refuseWhileDraining } from "./drain-step.ts";
import { trackInFlight } from "./in-flight-step.ts";
import { observe } from "./observe-step.ts";
import { assignRequestId } from "./request-id-step.ts";
import { watchResponseEnd } from "./response-end.ts";

export interface FrontDoorParts {
  app: { handle(request: Request): Promise<Response> };
  keys: ApiKeys;
  cors: CorsPolicy;
  inFlight: InFlightRequests;
  metrics: ServerMetrics;
  logger: Logger;
  maxBodyBytes: number;
  metricsOpen: boolean;
}

/**
 * Every request passes these steps before the routes, outermost first. Each does one job; the order is the
 * design: the end of the response is watched around everything; every answer (refusals and preflights
 * included) gets an id, is observed and carries CORS headers; an unread body is drained after any answer;
 * draining and auth refuse before a request counts as in flight.
 */
export function frontDoor(parts: FrontDoorParts): (request: Request) => Promise<Response> {
  const steps: DoorStep[] = [
    watchResponseEnd,
    assignRequestId,
    observe({ metrics: parts.metrics, logger: parts.logger }),
    cors(parts.cors),
    discardBody(parts.maxBodyBytes),
    refuseWhileDraining(parts.inFlight),
    authenticate(parts.keys, parts.metricsOpen),
    trackInFlight(parts.inFlight),
  ];
  const handle = compose(steps, (ctx) => routes(parts.app, ctx));
  return (request) => handle(doorContext(request));
}

/** The routes, with the caller attached; anything they throw past Elysia's own handler is still an OpenAI error. */
async function routes(app: FrontDoorParts["app"], ctx: DoorContext): Promise<Response> {
  attachCaller(ctx.forwarded, ctx.caller);
  try {
    return await app.handle(ctx.forwarded);
  } catch (err) {
    return errorResponse(err);
  }
}
