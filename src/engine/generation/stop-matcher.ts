/**
 * Stop strings with holdback: text that could still become a stop string is not released until it cannot,
 * so a stop string never leaks to the client, even when it spans token boundaries.
 */
export class StopMatcher {
  private pending = "";
  private readonly maxLen: number;

  constructor(private readonly stops: readonly string[]) {
    this.maxLen = stops.reduce((m, s) => Math.max(m, s.length), 0);
  }

  /** Add newly decoded text; returns what is safe to release and whether a stop string was hit. */
  push(text: string): { release: string; stopped: boolean } {
    if (this.stops.length === 0) return { release: text, stopped: false };
    this.pending += text;
    let cut = -1;
    for (const s of this.stops) {
      const at = this.pending.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      const release = this.pending.slice(0, cut);
      this.pending = "";
      return { release, stopped: true };
    }
    // Hold back the longest tail that is a prefix of some stop string.
    let hold = 0;
    const from = Math.max(0, this.pending.length - this.maxLen + 1);
    for (let i = from; i < this.pending.length; i++) {
      const tail = this.pending.slice(i);
      if (this.stops.some((s) => s.startsWith(tail))) {
        hold = this.pending.length - i;
        break;
      }
    }
    const release = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return { release, stopped: false };
  }

  /** At the end of generation (EOS or length) held text is real output: release it. */
  flush(): string {
    const rest = this.pending;
    this.pending = "";
    return rest;
  }
}
