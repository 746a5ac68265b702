import { Elysia } from "elysia";
import { programCommit, programVersion } from "../../platform/build-info.ts";
import { callerOf } from "../auth/caller.ts";
import type { ServerContext } from "../shared/server-context.ts";
import { statusPage } from "./status-page.ts";
import type { StatusDocument } from "./status-schema.ts";

/** Every endpoint, as the front page lists it. */
const ENDPOINTS = [
  "POST /v1/responses",
  "GET /v1/responses/{id}",
  "DELETE /v1/responses/{id}",
  "GET /v1/responses/{id}/input_items",
  "POST /v1/chat/completions",
  "POST /v1/completions",
  "POST /v1/embeddings",
  "GET /v1/models",
  "GET /v1/models/{id}",
  "POST /tokenize",
  "POST /detokenize",
  "GET /healthz",
  "GET /readyz",
  "GET /metrics",
];

/**
 * GET /: a small JSON status document, or (Accept: text/html) one readable page with the same facts. Anyone may
 * read it; with API keys set, the model list is shown only to a caller with a valid key.
 */
export function statusRoute(ctx: ServerContext) {
  const started = Date.now();
  return new Elysia().get("/", ({ request }) => {
    const doc: StatusDocument = {
      service: "gpt3dev-api",
      version: programVersion,
      commit: programCommit,
      uptime_seconds: Math.floor((Date.now() - started) / 1000),
      ...(callerOf(request).authorized ? { models: models(ctx) } : {}),
      endpoints: ENDPOINTS.filter((e) => e !== "GET /metrics" || ctx.settings.metrics !== "off"),
    };
    if ((request.headers.get("accept") ?? "").includes("text/html")) {
      return new Response(statusPage(doc), { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    return doc;
  });
}

function models(ctx: ServerContext): NonNullable<StatusDocument["models"]> {
  return ctx.pool.list().map((spec) => ({ id: spec.id, task: spec.task, state: ctx.pool.state(spec.id).state, loaded: ctx.pool.peek(spec.id) !== undefined }));
}
