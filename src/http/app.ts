import { Elysia } from "elysia";
import type { Logger } from "../observability/logger.ts";
import { ApiKeys } from "./auth/api-keys.ts";
import { chatRoute } from "./chat/chat-route.ts";
import { completionRoute } from "./completions/completion-route.ts";
import { CorsPolicy } from "./cors/cors-policy.ts";
import { embeddingRoute } from "./embeddings/embedding-route.ts";
import { frontDoor } from "./front-door/front-door.ts";
import { healthRoutes } from "./health/health-routes.ts";
import { InFlightRequests } from "./lifecycle/in-flight.ts";
import { modelRoutes } from "./models/model-routes.ts";
import { metricsRoute } from "./observability/metrics-route.ts";
import { ServerMetrics } from "./observability/server-metrics.ts";
import { ResponseStore } from "./responses/response-store.ts";
import { responsesRoutes } from "./responses/responses-route.ts";
import { errorResponse, frameworkError } from "./shared/error-response.ts";
import type { ServerContext } from "./shared/server-context.ts";
import { statusRoute } from "./status/status-route.ts";
import { tokenizeRoutes } from "./tokenize/tokenize-routes.ts";

export interface AppParts {
  inFlight: InFlightRequests;
  metrics: ServerMetrics;
  /** Responses kept for GET /v1/responses/{id} and previous_response_id. */
  responses: ResponseStore;
}

/** The routes and the one error formatter. */
export function buildApp(ctx: ServerContext, parts: AppParts = defaultParts(ctx)) {
  const app = new Elysia()
    .onError(({ code, error, request }) => {
      return errorResponse(frameworkError(code, error, new URL(request.url).pathname, request.method));
    })
    .use(statusRoute(ctx))
    .use(healthRoutes(ctx, parts.inFlight))
    .use(modelRoutes(ctx))
    .use(completionRoute(ctx))
    .use(chatRoute(ctx))
    .use(responsesRoutes(ctx, parts.responses))
    .use(embeddingRoute(ctx))
    .use(tokenizeRoutes(ctx));
  return ctx.settings.metrics === "off" ? app : app.use(metricsRoute(parts.metrics));
}

export interface HttpServer extends AppParts {
  /** Bun.serve's fetch: the front door (ids, auth, CORS, drain, logs, metrics) before the routes. */
  fetch: (request: Request) => Promise<Response>;
}

/** The whole HTTP surface of the server. */
export function buildHttp(ctx: ServerContext, logger: Logger): HttpServer {
  const parts = defaultParts(ctx);
  const app = buildApp(ctx, parts);
  const fetch = frontDoor({
    app,
    keys: new ApiKeys(ctx.settings.apiKeys),
    cors: new CorsPolicy(ctx.settings.corsAllowOrigins),
    inFlight: parts.inFlight,
    metrics: parts.metrics,
    logger,
    maxBodyBytes: ctx.settings.maxBodyBytes,
    metricsOpen: ctx.settings.metrics === "on",
  });
  return { ...parts, fetch };
}

function defaultParts(ctx: ServerContext): AppParts {
  const inFlight = new InFlightRequests();
  const metrics = new ServerMetrics(ctx.pool, { inFlight: () => inFlight.size, draining: () => inFlight.draining });
  const responses = new ResponseStore({ maxEntries: ctx.settings.responsesStoreMax, ttlMs: ctx.settings.responsesStoreTtlMs });
  return { inFlight, metrics, responses };
}
