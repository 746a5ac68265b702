import { Elysia } from "elysia";
import { callerOf } from "../auth/caller.ts";
import { readJsonBody } from "../shared/read-json-body.ts";
import type { ServerContext } from "../shared/server-context.ts";
import type { ResponseStore } from "./response-store.ts";
import { handleCreateResponse } from "./responses-handler.ts";
import { ResponsesRequestSchema } from "./responses-request-schema.ts";
import { deleteResponse, listInputItems, retrieveResponse } from "./stored-response-handlers.ts";

/** The Responses API: create, retrieve, delete, and a response's input items. */
export function responsesRoutes(ctx: ServerContext, store: ResponseStore) {
  return new Elysia()
    .post(
      "/v1/responses",
      async ({ request }) => handleCreateResponse({ ...ctx, store }, await readJsonBody(request, ResponsesRequestSchema, ctx.settings.maxBodyBytes), callerOf(request), request.signal),
      { parse: "none" },
    )
    .get("/v1/responses/:id", ({ params, request }) => retrieveResponse(store, params.id, callerOf(request)))
    .delete("/v1/responses/:id", ({ params, request }) => deleteResponse(store, params.id, callerOf(request)))
    .get("/v1/responses/:id/input_items", ({ params, request, query }) => listInputItems(store, params.id, callerOf(request), query));
}
