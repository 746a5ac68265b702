import { ApiError } from "../shared/api-error.ts";
import type { TaggedEvent } from "../shared/merge-events.ts";
import { currentObservation } from "./request-observation.ts";

/**
 * Passes a request's generation events through unchanged, noting each on the request's observation (tokens,
 * time to first token, gaps between tokens).
 *
 * It also ends the events when `signal` aborts, without waiting for the engine: if the abort carries an
 * ApiError (a shutdown's drain deadline) that error is thrown, so a stream ends with an error frame and a
 * pending collected answer becomes an error answer; any other abort (the client left) just ends them.
 */
export async function* observeEvents(events: AsyncIterable<TaggedEvent>, signal: AbortSignal, model: string): AsyncGenerator<TaggedEvent> {
  const observation = currentObservation();
  const it = events[Symbol.asyncIterator]();
  let aborted: (() => void) | null = null;
  const abortedNow = new Promise<"aborted">((resolve) => {
    aborted = () => resolve("aborted");
    if (signal.aborted) resolve("aborted");
    else signal.addEventListener("abort", aborted, { once: true });
  });
  try {
    while (true) {
      const next = await Promise.race([it.next(), abortedNow]);
      if (next === "aborted") {
        void Promise.resolve(it.return?.()).catch(() => {});
        if (signal.reason instanceof ApiError) throw signal.reason;
        return;
      }
      if (next.done) return;
      observation?.noteGeneration(next.value, model);
      yield next.value;
    }
  } finally {
    if (aborted) signal.removeEventListener("abort", aborted);
  }
}
