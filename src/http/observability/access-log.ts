import type { Logger } from "../../observability/logger.ts";
import type { RequestRecord } from "./request-observation.ts";

/**
 * The one line per request, written when its response ends (a stream's last byte, or the client leaving).
 * It carries counts and timings only: never headers (keys), never prompt or completion text.
 */
export function logRequest(logger: Logger, r: RequestRecord, durationMs: number, clientGone: boolean): void {
  const level = r.status >= 500 ? "error" : "info";
  if (!logger.enabled(level)) return;
  logger.log(level, "request", {
    request_id: r.id,
    method: r.method,
    route: r.route,
    path: r.route === "other" ? r.path : undefined,
    model: r.model ?? undefined,
    status: r.status,
    error: r.errorCode ?? undefined,
    stream: r.stream || undefined,
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    ttft_ms: r.ttftMs === null ? undefined : round(r.ttftMs),
    duration_ms: round(durationMs),
    client_gone: clientGone || undefined,
  });
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
