import type { Caller } from "../auth/caller.ts";

/** What the front door's steps share about one request while it passes through them. */
export interface DoorContext {
  /** The request as it arrived. */
  readonly request: Request;
  /** Its path without the query. */
  readonly path: string;
  /** The request id: the caller's X-Request-Id when sane, else a fresh one (set by the first step). */
  id: string;
  /** The request the routes get: the same request, with the drain deadline joined to the client's signal. */
  forwarded: Request;
  /** Run once when the response has fully gone out (a stream's last byte, or the client leaving). */
  readonly onEnd: ((clientGone: boolean) => void)[];
  /** Who sent it, once the auth step has looked (until then: nobody). */
  caller: Caller;
}

/** One job of the front door: it may answer by itself, or call `next` and adjust the answer that comes back. */
export type DoorStep = (ctx: DoorContext, next: () => Promise<Response>) => Promise<Response>;

/** The steps in order around `last` (Hono's compose): each step's `next` runs the ones after it. */
export function compose(steps: readonly DoorStep[], last: (ctx: DoorContext) => Promise<Response>): (ctx: DoorContext) => Promise<Response> {
  return (ctx) => {
    const run = (i: number): Promise<Response> => (i === steps.length ? last(ctx) : steps[i]!(ctx, () => run(i + 1)));
    return run(0);
  };
}

export function doorContext(request: Request): DoorContext {
  return { request, path: pathOf(request.url), id: "", forwarded: request, onEnd: [], caller: { authorized: false, keyDigest: null } };
}

function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const q = url.indexOf("?", start);
  return q < 0 ? url.slice(start) : url.slice(start, q);
}

/**
 * The answer with headers that can be changed: a Response from elsewhere may have immutable ones (deleting an
 * absent header then throws), and is copied.
 */
export function editable(response: Response): Response {
  try {
    response.headers.delete("x-gpt3dev-probe");
    return response;
  } catch {
    return new Response(response.body, response);
  }
}

export function withHeader(response: Response, name: string, value: string): Response {
  const out = editable(response);
  out.headers.set(name, value);
  return out;
}

export function isEventStream(response: Response): boolean {
  return response.body !== null && (response.headers.get("content-type") ?? "").startsWith("text/event-stream");
}
