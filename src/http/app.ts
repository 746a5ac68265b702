import { cors } from "@elysiajs/cors";
import { Elysia } from "elysia";
import { chatRoute } from "./chat/chat-route.ts";
import { completionRoute } from "./completions/completion-route.ts";
import { embeddingRoute } from "./embeddings/embedding-route.ts";
import { healthRoutes } from "./health/health-routes.ts";
import { modelRoutes } from "./models/model-routes.ts";
import { errorResponse, frameworkError } from "./shared/error-response.ts";
import type { ServerContext } from "./shared/server-context.ts";

/** The whole HTTP surface: CORS, routes, and the one error formatter. */
export function buildApp(ctx: ServerContext) {
  const app = new Elysia();
  if (ctx.settings.corsAllowOrigins.length > 0) {
    const origins = ctx.settings.corsAllowOrigins;
    app.use(
      cors({
        origin: origins.includes("*") ? true : origins,
        methods: ["GET", "POST", "OPTIONS"],
        // Explicit: the plugin answers "undefined" for a preflight that lists no headers otherwise.
        allowedHeaders: ["Authorization", "Content-Type", "OpenAI-Organization", "OpenAI-Project", "X-Request-Id", "X-Stainless-Lang", "X-Stainless-Package-Version", "X-Stainless-OS", "X-Stainless-Arch", "X-Stainless-Runtime", "X-Stainless-Runtime-Version", "X-Stainless-Retry-Count", "X-Stainless-Timeout"],
        exposeHeaders: ["X-Request-Id", "Retry-After"],
        credentials: !origins.includes("*"),
        maxAge: 600,
      }),
    );
  }
  return app
    .onError(({ code, error, request }) => errorResponse(frameworkError(code, error, new URL(request.url).pathname, request.method)))
    .use(healthRoutes(ctx))
    .use(modelRoutes(ctx))
    .use(completionRoute(ctx))
    .use(chatRoute(ctx))
    .use(embeddingRoute(ctx));
}
