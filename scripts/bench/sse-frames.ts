/**
 * The JSON frames of an SSE response as a client reads them, each with the performance.now() of the network
 * chunk that completed it; `data: [DONE]` ends nothing here (the body's end does). A frame with an `error`
 * throws: a benchmark must not time a failed stream.
 */
export async function* sseFrames<T>(res: Response): AsyncGenerator<{ at: number; frame: T }> {
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of res.body) {
    const at = performance.now();
    buffer += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
      const frame = JSON.parse(event.slice(6)) as T & { error?: unknown };
      if (frame.error) throw new Error(`stream failed: ${JSON.stringify(frame.error)}`);
      yield { at, frame };
    }
  }
}
