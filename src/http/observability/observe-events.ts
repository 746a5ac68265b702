import { ApiError } from "../shared/api-error.ts";
import type { TaggedEvent } from "../shared/merge-events.ts";
import { currentRequest } from "./request-scope.ts";

/**
 * Passes a request's generation events through unchanged while recording, on the request's record, its prompt
 * and completion tokens, its time to first token and the gap before each later token.
 *
 * It also ends the events when `signal` aborts, without waiting for the engine: if the abort carries an
 * ApiError (the drain deadline of a shutdown) that error is thrown, so a stream ends with an error frame and a
 * pending non-streamed answer becomes an error answer; any other abort (the client left) just ends.
 */
export async function* observeEvents(events: AsyncIterable<TaggedEvent>, signal: AbortSignal, model: string): AsyncGenerator<TaggedEvent> {
  const record = currentRequest();
  const it = events[Symbol.asyncIterator]();
  const lastAt = new Map<string, number>();
  const generated = new Map<string, number>();
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
        if (signal.reason instanceof ApiError) {
          if (record) record.errorCode = signal.reason.code;
          throw signal.reason;
        }
        return;
      }
      if (next.done) return;
      const { prompt, event } = next.value;
      if (record) {
        if (event.type === "prompt") record.promptTokens += event.promptTokens;
        else if (event.type === "delta" && event.tokens.length > 0) {
          const now = performance.now();
          const key = `${prompt}:${event.index}`;
          const last = lastAt.get(key);
          if (record.ttftMs === null) record.ttftMs = now - record.started;
          // A delta may carry several tokens (text held back for stop strings): each gets an equal share.
          if (last !== undefined) {
            const gap = (now - last) / 1000 / event.tokens.length;
            for (let i = 0; i < event.tokens.length; i++) record.onTokenGap(gap, model);
          }
          lastAt.set(key, now);
          const count = event.tokens.length;
          generated.set(key, (generated.get(key) ?? 0) + count);
          record.completionTokens += count;
        } else if (event.type === "finish") {
          // The engine's count is the truth (usage uses it); the running count only stands in until then.
          const key = `${prompt}:${event.index}`;
          record.completionTokens += event.completionTokens - (generated.get(key) ?? 0);
          generated.set(key, event.completionTokens);
        } else if (event.type === "error") record.errorCode = event.error.code;
      }
      yield next.value;
    }
  } finally {
    if (aborted) signal.removeEventListener("abort", aborted);
  }
}
