import { ApiError } from "../shared/api-error.ts";

/** The error a request still running at the drain deadline ends with (an error frame on a stream). */
export function shuttingDown(): ApiError {
  return new ApiError({
    status: 503,
    type: "service_unavailable_error",
    code: "server_shutting_down",
    message: "The server is shutting down and this request did not finish within its drain timeout (DRAIN_TIMEOUT). Retry it on another instance.",
  });
}

export interface InFlightEntry {
  /** Aborted (with shuttingDown() as reason) at the drain deadline. */
  signal: AbortSignal;
  /** The response is complete: its body has been sent, cancelled or failed. */
  done(): void;
}

/**
 * Requests being served, streams included until their last byte. On shutdown, `drain` refuses nothing by
 * itself (the front door checks `draining`), waits for the set to empty, and at the deadline aborts whatever is
 * left so streams end with an error frame instead of being cut.
 */
export class InFlightRequests {
  private readonly entries = new Set<AbortController>();
  private idle: (() => void) | null = null;
  private drainingSince: number | null = null;

  get size(): number {
    return this.entries.size;
  }

  get draining(): boolean {
    return this.drainingSince !== null;
  }

  begin(): InFlightEntry {
    const ctl = new AbortController();
    this.entries.add(ctl);
    let ended = false;
    return {
      signal: ctl.signal,
      done: () => {
        if (ended) return;
        ended = true;
        this.entries.delete(ctl);
        if (this.entries.size === 0) this.idle?.();
      },
    };
  }

  /**
   * Resolves when every in-flight request has finished, or `timeoutMs` after the call: then the rest are aborted
   * and given `graceMs` to write their error frame. Returns how many were cut.
   */
  async drain(timeoutMs: number, graceMs = 2_000): Promise<number> {
    this.drainingSince ??= Date.now();
    if (await this.waitIdle(timeoutMs)) return 0;
    const cut = this.entries.size;
    const reason = shuttingDown();
    for (const ctl of this.entries) ctl.abort(reason);
    await this.waitIdle(graceMs);
    return cut;
  }

  private waitIdle(ms: number): Promise<boolean> {
    if (this.entries.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idle = null;
        resolve(false);
      }, ms);
      this.idle = () => {
        clearTimeout(timer);
        this.idle = null;
        resolve(true);
      };
    });
  }
}

/** The answer to a request that arrives after shutdown began (on a kept-alive connection). */
export function notAccepting(): ApiError {
  return new ApiError({
    status: 503,
    type: "service_unavailable_error",
    code: "server_shutting_down",
    message: "The server is shutting down and accepts no new requests. Retry on another instance.",
    headers: { Connection: "close", "Retry-After": "1" },
  });
}
