import { discardUnreadBody } from "../shared/bounded-body.ts";
import type { DoorStep } from "./compose.ts";

/** A body nobody read (an early 401, 404 or 413) is read and dropped, so the answer reaches the client. */
export function discardBody(maxBodyBytes: number): DoorStep {
  return async (ctx, next) => {
    const response = await next();
    await discardUnreadBody(ctx.forwarded, maxBodyBytes);
    return response;
  };
}
