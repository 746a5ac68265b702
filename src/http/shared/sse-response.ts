import { errorFrame } from "./error-response.ts";

const encoder = new TextEncoder();

export interface SseOptions {
  /** Comment frames every this many ms while the stream is open (0 = off): keeps proxies from timing out. */
  pingMs: number;
  /** Called when the stream ends for any reason (done, failed, client gone), so nothing keeps generating. */
  onClose: () => void;
  headers?: Record<string, string>;
  /**
   * The Responses API's framing: each chunk goes out as `event: <its type>` with its `data:`, and the stream ends
   * with its own last event instead of `data: [DONE]`.
   */
  namedEvents?: boolean;
}

/**
 * Server-Sent Events on a native ReadableStream: one `data: JSON` frame per chunk, `data: [DONE]` last (or, with
 * `namedEvents`, `event:` + `data:` frames and no terminator). A failure the chunks did not turn into a frame of
 * their own becomes a `data: {"error": …}` frame (what OpenAI clients raise on) and the stream still ends
 * cleanly. When the reader cancels (client disconnected) the producer is told at once.
 */
export function sseResponse(chunks: AsyncIterable<unknown>, opts: SseOptions): Response {
  let ping: ReturnType<typeof setInterval> | null = null;
  let closed = false;
  const stop = () => {
    if (ping) clearInterval(ping);
    ping = null;
  };
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (text: string) => {
        if (closed) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          closed = true;
        }
      };
      if (opts.pingMs > 0) ping = setInterval(() => send(": ping\n\n"), opts.pingMs);
      try {
        for await (const chunk of chunks) {
          if (closed) break;
          send(frame(chunk, opts.namedEvents ?? false));
        }
      } catch (err) {
        send(errorFrame(err));
      }
      stop();
      opts.onClose();
      if (!closed) {
        if (!opts.namedEvents) send("data: [DONE]\n\n");
        closed = true;
        try {
          controller.close();
        } catch {
          // already closed by a cancel
        }
      }
    },
    cancel() {
      closed = true;
      stop();
      opts.onClose();
    },
  });
  return new Response(stream, {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      ...opts.headers,
    },
  });
}

/** One chunk's frame; a named event takes its name from the chunk's `type`. */
function frame(chunk: unknown, named: boolean): string {
  const data = `data: ${JSON.stringify(chunk)}\n\n`;
  return named ? `event: ${(chunk as { type: string }).type}\n${data}` : data;
}
