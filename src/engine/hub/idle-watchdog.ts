/**
 * Aborts a request that goes quiet: armed before the request, re-armed on every chunk. A plain overall timeout
 * would kill a slow but healthy multi-gigabyte download; this only kills a stalled one.
 */
export class IdleWatchdog {
  readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  fired = false;

  constructor(private readonly ms: number) {
    this.kick();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  kick(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fired = true;
      this.controller.abort(new DOMException(`no data for ${Math.round(this.ms / 1000)} s`, "TimeoutError"));
    }, this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** For messages: "no data for 60 s". */
  describe(): string {
    return `no data for ${this.ms >= 1000 ? `${Math.round(this.ms / 1000)} s` : `${this.ms} ms`}`;
  }
}
