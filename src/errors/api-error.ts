/**
 * The one error type of the server. Anything the client should see as an OpenAI error is an
 * ApiError, raised anywhere (config, registry, engine, routes) and formatted once in src/http.
 */
export type ApiErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "not_implemented_error"
  | "service_unavailable_error"
  | "server_error";

export interface ApiErrorInit {
  status: number;
  type: ApiErrorType;
  message: string;
  param?: string | null;
  code?: string | null;
  /** Extra response headers, e.g. Retry-After on a 429. */
  headers?: Record<string, string>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly type: ApiErrorType;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Record<string, string>;

  constructor(init: ApiErrorInit) {
    super(init.message);
    this.name = "ApiError";
    this.status = init.status;
    this.type = init.type;
    this.param = init.param ?? null;
    this.code = init.code ?? null;
    this.headers = init.headers ?? {};
  }

  /** The wire body: {"error": {message, type, param, code}}. */
  toBody(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400 for a client mistake in one field. */
export function invalidRequest(message: string, param: string | null = null, code: string | null = null): ApiError {
  return new ApiError({ status: 400, type: "invalid_request_error", message, param, code });
}

export function modelNotFound(model: string): ApiError {
  return new ApiError({
    status: 404,
    type: "invalid_request_error",
    message: `The model '${model}' does not exist. GET /v1/models lists the models this server can serve.`,
    param: "model",
    code: "model_not_found",
  });
}

/** Wrap anything thrown into an ApiError; unknown failures are a 500 that hides no message. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError({ status: 500, type: "server_error", message: `Internal error: ${message}`, code: "internal_error" });
}
