import { newId } from "../shared/ids.ts";

/** Printable, no spaces or quotes, short: safe to echo in a header and a log line unquoted. */
const SANE = /^[A-Za-z0-9._~:@+=/-]{1,128}$/;

/** The caller's X-Request-Id when it is sane (so ids can be followed across a proxy), else a fresh one. */
export function requestIdFor(incoming: string | null): string {
  return incoming !== null && SANE.test(incoming) ? incoming : newId("req");
}
