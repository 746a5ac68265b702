import type { HostileCase } from "./hostile-cases.ts";

export interface CaseAnswer {
  status: number;
  contentType: string;
  text: string;
}

/** Sends one case over loopback; a chunked case streams its body so no Content-Length is sent. */
export async function sendCase(base: string, c: HostileCase, headers: Record<string, string> = {}): Promise<CaseAnswer> {
  const h: Record<string, string> = { ...headers };
  if (c.contentType !== null) h["content-type"] = c.contentType;
  let body: RequestInit["body"] = c.body;
  if (c.chunked && c.body !== null) {
    const bytes = typeof c.body === "string" ? new TextEncoder().encode(c.body) : c.body;
    body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 256 * 1024) controller.enqueue(bytes.subarray(i, i + 256 * 1024));
        controller.close();
      },
    });
  }
  const res = await fetch(`${base}${c.path}`, { method: c.method, headers: h, body, signal: AbortSignal.timeout(30_000) });
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", text: await res.text() };
}

/** Runs `work` over `items` with at most `limit` at a time, keeping order in the results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
