import type { ApiKeys } from "../auth/api-keys.ts";
import { requireApiKey } from "../auth/require-api-key.ts";
import { errorResponse } from "../shared/error-response.ts";
import type { DoorStep } from "./compose.ts";

/**
 * With API keys set, a request without a valid one is answered 401 here (see require-api-key.ts for the
 * exceptions); a request let through carries who sent it (ctx.caller) to the routes.
 */
export function authenticate(keys: ApiKeys, metricsOpen: boolean): DoorStep {
  return (ctx, next) => {
    const authorization = ctx.request.headers.get("authorization");
    const refusal = requireApiKey(keys, { method: ctx.request.method, path: ctx.path, authorization, metricsOpen });
    if (refusal) return Promise.resolve(errorResponse(refusal));
    ctx.caller = keys.identify(authorization);
    return next();
  };
}
