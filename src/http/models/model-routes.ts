import { Elysia } from "elysia";
import type { ServerContext } from "../shared/server-context.ts";
import { listModels, modelDetail } from "./model-handlers.ts";

export function modelRoutes(ctx: ServerContext) {
  return new Elysia()
    .get("/v1/models", () => listModels(ctx))
    // Model ids may contain slashes (owner/name), so the id is the rest of the path.
    .get("/v1/models/*", ({ params }) => modelDetail(ctx, decodeURIComponent(params["*"])));
}
