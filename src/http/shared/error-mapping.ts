import { ConvertError } from "../../convert/convert-error.ts";
import { DeviceUnavailable, EngineError, GenerationFailed, ModelNotFound, ModelUnavailable, QueueFull, TooManySequences } from "../../engine/engine-errors.ts";
import { GrammarError } from "../../engine/grammar/grammar-error.ts";
import { HubError } from "../../engine/hub/hub-errors.ts";
import { ApiError } from "./api-error.ts";

/**
 * The one place where failures from below HTTP get their OpenAI shape: status, type, param, code and headers.
 *
 * | raised                       | status | type                      | code                              |
 * |------------------------------|--------|---------------------------|-----------------------------------|
 * | QueueFull                    | 429    | rate_limit_error          | rate_limit_exceeded (Retry-After) |
 * | TooManySequences             | 400    | invalid_request_error     | too_many_sequences                |
 * | ModelNotFound                | 404    | invalid_request_error     | model_not_found                   |
 * | ModelUnavailable             | 503    | service_unavailable_error | its reason (model_unavailable, …) |
 * | DeviceUnavailable, HubError  | 503    | service_unavailable_error | their code                        |
 * | ConvertError (outside a load)| 503    | service_unavailable_error | its code                          |
 * | GenerationFailed             | 500    | server_error              | generation_failed                 |
 * | GrammarError (a schema, a    | 400    | invalid_request_error     | its code (unsupported_keyword, …), |
 * |   pattern, tools we refuse)  |        |                           |   param = the path it names       |
 * | GrammarError engine_failed   | 500    | server_error              | engine_failed                     |
 * | anything else                | 500    | server_error              | internal_error                    |
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof EngineError) return fromEngine(err);
  if (err instanceof ConvertError) return unavailable(err.code, err.message);
  if (err instanceof GrammarError) return fromGrammar(err);
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError({ status: 500, type: "server_error", message: `Internal error: ${message}`, code: "internal_error" });
}

function fromEngine(err: EngineError): ApiError {
  if (err instanceof QueueFull) {
    return new ApiError({
      status: 429,
      type: "rate_limit_error",
      code: "rate_limit_exceeded",
      message: err.message,
      headers: { "Retry-After": String(err.retryAfterSeconds) },
    });
  }
  if (err instanceof TooManySequences) return new ApiError({ status: 400, type: "invalid_request_error", code: err.code, message: err.message });
  if (err instanceof ModelNotFound) {
    return new ApiError({
      status: 404,
      type: "invalid_request_error",
      code: err.code,
      param: "model",
      message: `${err.message} GET /v1/models lists the models this server can serve.`,
    });
  }
  if (err instanceof ModelUnavailable || err instanceof DeviceUnavailable || err instanceof HubError) return unavailable(err.code, err.message);
  if (err instanceof GenerationFailed) return new ApiError({ status: 500, type: "server_error", code: err.code, message: err.message });
  return new ApiError({ status: 500, type: "server_error", code: err.code, message: err.message });
}

/** A schema or tool definition we cannot enforce is the client's to change; the engine failing is ours. */
function fromGrammar(err: GrammarError): ApiError {
  if (err.code === "engine_failed") {
    return new ApiError({ status: 500, type: "server_error", code: err.code, message: `The structured-output engine failed: ${err.message}` });
  }
  const param = err.path === "" ? null : err.path;
  return new ApiError({ status: 400, type: "invalid_request_error", code: err.code, param, message: param ? `Invalid '${param}': ${err.message}` : err.message });
}

/** The request was fine; this model cannot be served right now (the next request retries). */
function unavailable(code: string, message: string): ApiError {
  return new ApiError({ status: 503, type: "service_unavailable_error", code, param: "model", message });
}
