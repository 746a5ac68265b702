/**
 * Server-Sent Events as a client sees them on the wire: the raw frames, not what an SDK makes of them, so
 * tests can check framing (`data: ` lines, blank-line separators, `[DONE]` last) and hold-back exactly.
 */

export interface SseEvent {
  /** The joined `data:` lines of one event ("[DONE]" for the terminator). */
  data: string;
  /** The whole event as sent, without its blank-line separator. */
  raw: string;
}

/** Splits a complete SSE body into events; comment-only events (": ping") are left out. */
export function parseSse(body: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const raw of body.replace(/\r\n/g, "\n").split("\n\n")) {
    if (raw.trim() === "") continue;
    const data = raw
      .split("\n")
      .filter((l) => l.startsWith("data:"))
      .map((l) => l.slice(5).replace(/^ /, ""));
    if (data.length === 0) continue;
    events.push({ data: data.join("\n"), raw });
  }
  return events;
}

/**
 * Reads events as they arrive (for tests that act mid-stream, e.g. disconnect after the first chunk). The
 * caller may stop iterating at any time; the reader's lock is released.
 */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end + 2);
        buffer = buffer.slice(end + 2);
        yield* parseSse(block);
      }
    }
    buffer += decoder.decode();
    yield* parseSse(buffer);
  } finally {
    reader.releaseLock();
  }
}

/** The JSON payloads of a finished stream, with the `[DONE]` terminator checked to be last and unique. */
export function jsonFrames<T>(events: SseEvent[]): T[] {
  const done = events.filter((e) => e.data === "[DONE]").length;
  if (done !== 1 || events.at(-1)?.data !== "[DONE]") {
    throw new Error(`expected exactly one data: [DONE], as the last event; got ${events.map((e) => e.data.slice(0, 40)).join(" | ")}`);
  }
  return events.slice(0, -1).map((e) => JSON.parse(e.data) as T);
}
