import { Type, type Static } from "@sinclair/typebox";

/**
 * The wire error: what a client receives as an OpenAI error, with its HTTP status and any extra headers. Only
 * src/http raises it (validation, auth, limits); errors from below HTTP (the engine's, the converter's) become
 * one through error-mapping.ts.
 */
export const API_ERROR_TYPES = [
  "invalid_request_error",
  "authentication_error",
  "permission_error",
  "not_found_error",
  "rate_limit_error",
  "not_implemented_error",
  "service_unavailable_error",
  "server_error",
] as const;
export type ApiErrorType = (typeof API_ERROR_TYPES)[number];

export interface ApiErrorInit {
  status: number;
  type: ApiErrorType;
  message: string;
  param?: string | null;
  code?: string | null;
  /** Extra response headers, e.g. Retry-After on a 429. */
  headers?: Record<string, string>;
}

/** `{"error": {message, type, param, code}}`, the body of every error answer and of a stream's error frame. */
export const ErrorBodySchema = Type.Object(
  {
    error: Type.Object(
      {
        message: Type.String(),
        type: Type.Union(API_ERROR_TYPES.map((t) => Type.Literal(t))),
        /** The request field at fault, in the `messages[0].content` style; null when none is. */
        param: Type.Union([Type.String(), Type.Null()]),
        code: Type.Union([Type.String(), Type.Null()]),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type ErrorBody = Static<typeof ErrorBodySchema>;

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;
  readonly type: ApiErrorType;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Record<string, string>;

  constructor(init: ApiErrorInit) {
    super(init.message);
    this.status = init.status;
    this.type = init.type;
    this.param = init.param ?? null;
    this.code = init.code ?? null;
    this.headers = init.headers ?? {};
  }

  toBody(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400 for a client mistake in one field. */
export function invalidRequest(message: string, param: string | null = null, code: string | null = null): ApiError {
  return new ApiError({ status: 400, type: "invalid_request_error", message, param, code });
}
