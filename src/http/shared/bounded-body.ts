/**
 * Request bodies are read in chunks and never held past the limit: a body over it is read on and dropped, so
 * a client that uploads everything before reading the answer (most HTTP clients) still gets the 413 instead
 * of a reset connection. Bun's own maxRequestBodySize (see server.ts) bounds how much is dropped.
 */
type BodyReader = { read(): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }>; cancel(reason?: unknown): Promise<void> };

export const DISCARD_LIMIT_FACTOR = 8;
export const MIN_DISCARD_BYTES = 64 * 1024 * 1024;

/** The most bytes a server with this body limit will read and drop before it lets Bun cut the connection. */
export function discardLimit(maxBodyBytes: number): number {
  return Math.max(MIN_DISCARD_BYTES, DISCARD_LIMIT_FACTOR * maxBodyBytes);
}

/** The body's bytes, or null when it is larger than `maxBytes` (the rest has then been drained). */
export async function readBodyUpTo(request: Request, maxBytes: number): Promise<Uint8Array | null> {
  if (!request.body) return new Uint8Array(0);
  const reader: BodyReader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      chunks.length = 0;
      await drain(reader, discardLimit(maxBytes) - size);
      return null;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Reads and drops a body nobody consumed (an early 401, 404 or 413), so the answer reaches the client. */
export async function discardUnreadBody(request: Request, maxBodyBytes: number): Promise<void> {
  if (!request.body || request.bodyUsed) return;
  try {
    const reader: BodyReader = request.body.getReader();
    await drain(reader, discardLimit(maxBodyBytes));
  } catch {
    // the client went away: nothing to answer
  }
}

async function drain(reader: BodyReader, budget: number): Promise<void> {
  let left = budget;
  while (left > 0) {
    const { done, value } = await reader.read();
    if (done) return;
    left -= value.byteLength;
  }
  await reader.cancel().catch(() => {});
}
