import { RequestObservation, runObserved, type ObservationSinks } from "../observability/request-observation.ts";
import { routeLabel } from "../observability/route-label.ts";
import { isEventStream, type DoorStep } from "./compose.ts";

/**
 * Opens the request's observation, runs everything after it (refusals included) where producers can note into
 * it, records the answer's status, and reports the request when the response has gone out.
 */
export function observe(sinks: ObservationSinks): DoorStep {
  return async (ctx, next) => {
    const observation = new RequestObservation({ id: ctx.id, method: ctx.request.method, path: ctx.path, route: routeLabel(ctx.path) }, sinks);
    const response = await runObserved(observation, next);
    observation.noteResponse(response.status, isEventStream(response));
    ctx.onEnd.push((clientGone) => observation.end(clientGone));
    return response;
  };
}
