import type { ApiKeys } from "../auth/api-keys.ts";
import { requireApiKey } from "../auth/require-api-key.ts";
import { errorResponse } from "../shared/error-response.ts";
import type { DoorStep } from "./compose.ts";

/** With API keys set, a request without a valid one is answered 401 here (see require-api-key.ts for the exceptions). */
export function authenticate(keys: ApiKeys, metricsOpen: boolean): DoorStep {
  return (ctx, next) => {
    const refusal = requireApiKey(keys, { method: ctx.request.method, path: ctx.path, authorization: ctx.request.headers.get("authorization"), metricsOpen });
    return refusal ? Promise.resolve(errorResponse(refusal)) : next();
  };
}
