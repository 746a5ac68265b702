import type { CorsPolicy } from "../cors/cors-policy.ts";
import { editable, type DoorStep } from "./compose.ts";

/** CORS preflights are answered here, before drain and auth; every other answer gets the CORS headers. */
export function cors(policy: CorsPolicy): DoorStep {
  return async (ctx, next) => {
    if (policy.isPreflight(ctx.request)) return policy.preflight(ctx.request);
    const response = editable(await next());
    policy.decorate(ctx.request, response.headers);
    return response;
  };
}
