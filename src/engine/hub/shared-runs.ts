/**
 * Concurrent callers with the same key share one run (one download of a repo revision and dtype); each caller's
 * listener gets the run's progress, including callers that joined late. The key is freed when the run settles, so
 * a failed run is retried by the next caller.
 */
export class SharedRuns<T, P> {
  private readonly runs = new Map<string, { promise: Promise<T>; listeners: Set<(p: P) => void> }>();

  run(key: string, listener: ((p: P) => void) | undefined, start: (emit: (p: P) => void) => Promise<T>): Promise<T> {
    let run = this.runs.get(key);
    if (!run) {
      const listeners = new Set<(p: P) => void>();
      const emit = (p: P) => {
        for (const l of listeners) {
          try {
            l(p);
          } catch {
            // A listener's failure must not fail the download other callers wait on.
          }
        }
      };
      const promise = start(emit).finally(() => this.runs.delete(key));
      run = { promise, listeners };
      this.runs.set(key, run);
    }
    if (listener) run.listeners.add(listener);
    return run.promise;
  }

  get size(): number {
    return this.runs.size;
  }
}
