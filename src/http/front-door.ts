import type { Logger } from "../observability/logger.ts";
import type { ApiKeys } from "./auth/api-keys.ts";
import { requireApiKey } from "./auth/require-api-key.ts";
import type { CorsPolicy } from "./cors/cors-policy.ts";
import { notAccepting, type InFlightRequests } from "./lifecycle/in-flight.ts";
import { logRequest } from "./observability/access-log.ts";
import { requestIdFor } from "./observability/request-id.ts";
import { runInRequestScope, type RequestRecord } from "./observability/request-scope.ts";
import { routeLabel } from "./observability/route-label.ts";
import type { ServerMetrics } from "./observability/server-metrics.ts";
import { discardUnreadBody } from "./shared/bounded-body.ts";
import { errorResponse } from "./shared/error-response.ts";

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

/** Probes keep answering while the server drains, so orchestrators can see it draining. */
const PROBES = new Set(["/healthz", "/readyz", "/metrics"]);

/**
 * Every request passes here before the routes: it gets an id, is refused while draining, is checked for an
 * API key, is tracked until its response has fully gone out (streams included), and ends as one access-log
 * line and a set of metrics. CORS headers go on every answer, refusals included.
 */
export function frontDoor(parts: FrontDoorParts): (request: Request) => Promise<Response> {
  const { app, keys, cors, inFlight, metrics, logger } = parts;

  const finish = (record: RequestRecord, clientGone: boolean) => {
    const ms = performance.now() - record.started;
    metrics.finished(record, ms);
    logRequest(logger, record, ms, clientGone);
  };

  return async (request) => {
    const started = performance.now();
    const path = pathOf(request.url);
    const record: RequestRecord = {
      id: requestIdFor(request.headers.get("x-request-id")),
      method: request.method,
      path: path.slice(0, 256),
      route: routeLabel(path),
      started,
      model: null,
      status: 0,
      errorCode: null,
      stream: false,
      promptTokens: 0,
      completionTokens: 0,
      ttftMs: null,
      onTokenGap: (seconds, model) => metrics.tokenGap(seconds, model),
    };

    let response: Response;
    if (cors.isPreflight(request)) {
      response = withHeaders(cors.preflight(request), record.id, request, null);
    } else {
      const refusal = inFlight.draining && !PROBES.has(path)
        ? notAccepting()
        : requireApiKey(keys, request.method, path, request.headers.get("authorization"), parts.metricsOpen);
      if (refusal) {
        record.errorCode = refusal.code;
        response = errorResponse(refusal);
      } else {
        const entry = inFlight.begin();
        // The routes see the client's disconnect and the drain deadline as one signal.
        const inner = new Request(request, { signal: AbortSignal.any([request.signal, entry.signal]) });
        try {
          response = await runInRequestScope(record, () => app.handle(inner));
        } catch (err) {
          response = errorResponse(err);
        }
        await discardUnreadBody(inner, parts.maxBodyBytes);
        response = withHeaders(response, record.id, request, cors);
        record.status = response.status;
        if (response.body && (response.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
          record.stream = true;
          return new Response(watchEnd(response.body, (gone) => (entry.done(), finish(record, gone))), response);
        }
        entry.done();
        finish(record, false);
        return response;
      }
      await discardUnreadBody(request, parts.maxBodyBytes);
      response = withHeaders(response, record.id, request, cors);
    }
    record.status = response.status;
    finish(record, false);
    return response;
  };
}

function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const q = url.indexOf("?", start);
  return q < 0 ? url.slice(start) : url.slice(start, q);
}

/** x-request-id on every answer; CORS headers on all but preflights (which carry their own). */
function withHeaders(response: Response, id: string, request: Request, cors: CorsPolicy | null): Response {
  let res = response;
  try {
    res.headers.set("x-request-id", id);
  } catch {
    // immutable headers (a Response from elsewhere): copy it
    res = new Response(res.body, res);
    res.headers.set("x-request-id", id);
  }
  cors?.decorate(request, res.headers);
  return res;
}

/** The same bytes, pulled only as the client reads; `onEnd` runs once when the body is done or abandoned. */
function watchEnd(body: ReadableStream<Uint8Array>, onEnd: (clientGone: boolean) => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  const end = (gone: boolean) => {
    if (ended) return;
    ended = true;
    onEnd(gone);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            end(false);
          } else controller.enqueue(value);
        } catch (err) {
          controller.error(err);
          end(true);
        }
      },
      cancel(reason) {
        end(true);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
