import { currentObservation } from "../observability/request-observation.ts";
import { ApiError } from "./api-error.ts";
import { toApiError } from "./error-mapping.ts";

/**
 * The one place errors become HTTP: `{"error": {message, type, param, code}}` with the error's status and
 * headers, or, mid-stream, the same body as an SSE frame. Either way the code sent is noted on the request's
 * observation (logs and metrics report it).
 */
export function errorResponse(err: unknown, extraHeaders: Record<string, string> = {}): Response {
  const e = reported(err);
  return new Response(JSON.stringify(e.toBody()), {
    status: e.status,
    headers: { "content-type": "application/json", ...e.headers, ...extraHeaders },
  });
}

/** `data: {"error": …}`: what OpenAI clients raise on when a stream fails after its head was sent. */
export function errorFrame(err: unknown): string {
  return `data: ${JSON.stringify(reported(err).toBody())}\n\n`;
}

/** The error as the client will see it, noted on the request's observation (for answers that carry it inside). */
export function reported(err: unknown): ApiError {
  const e = toApiError(err);
  currentObservation()?.noteError(e.code);
  return e;
}

/** Elysia's own error codes (unknown route, its parser) mapped to OpenAI errors. */
export function frameworkError(code: string | number, err: unknown, path: string, method: string): ApiError {
  if (err instanceof ApiError) return err;
  switch (code) {
    case "NOT_FOUND":
      return new ApiError({ status: 404, type: "invalid_request_error", code: "not_found", message: `No route for ${method} ${path}.` });
    case "PARSE":
      return new ApiError({ status: 400, type: "invalid_request_error", code: "invalid_json", message: "The request body could not be parsed." });
    case "VALIDATION":
      return new ApiError({ status: 400, type: "invalid_request_error", code: "invalid_value", message: err instanceof Error ? err.message.split("\n")[0]! : "Invalid request." });
    default:
      return toApiError(err);
  }
}
