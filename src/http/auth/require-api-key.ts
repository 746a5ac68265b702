import { ApiError } from "../shared/api-error.ts";
import { bearerToken, type ApiKeys } from "./api-keys.ts";

/**
 * Paths anyone may read even when keys are set: probes must work without secrets, and the front page answers
 * everyone (it shows its model list only to a valid key: see status-route.ts).
 */
const OPEN = new Set(["/healthz", "/readyz", "/"]);

/**
 * When keys are set, every request needs one except CORS preflights (browsers never send credentials on
 * them), the probes, and /metrics unless METRICS=auth. Unknown paths need a key too, so a caller without one
 * learns nothing about what exists.
 */
export interface KeyCheck {
  method: string;
  path: string;
  /** The Authorization header, if any. */
  authorization: string | null;
  /** METRICS=on: /metrics needs no key. */
  metricsOpen: boolean;
}

export function requireApiKey(keys: ApiKeys, { method, path, authorization, metricsOpen }: KeyCheck): ApiError | null {
  if (!keys.enabled || method === "OPTIONS" || OPEN.has(path) || (metricsOpen && path === "/metrics")) return null;
  const token = bearerToken(authorization);
  if (token !== null && keys.accepts(token)) return null;
  return new ApiError({
    status: 401,
    type: "authentication_error",
    code: "invalid_api_key",
    message: token === null
      ? "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'."
      : "Incorrect API key provided.",
    headers: { "WWW-Authenticate": 'Bearer realm="gpt3dev-api"' },
  });
}
