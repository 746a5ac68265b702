import { requestIdFor } from "../observability/request-id.ts";
import { withHeader, type DoorStep } from "./compose.ts";

/** Every answer carries X-Request-Id: the caller's own when sane (so ids can be followed across a proxy). */
export const assignRequestId: DoorStep = async (ctx, next) => {
  ctx.id = requestIdFor(ctx.request.headers.get("x-request-id"));
  return withHeader(await next(), "x-request-id", ctx.id);
};
