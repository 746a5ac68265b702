/** One streamed completion, timed as a client sees it: when it was sent, when each content chunk arrived. */

export interface StreamTiming {
  sentAt: number;
  /** performance.now() of each chunk that carried text. */
  chunkTimes: number[];
  completionTokens: number;
  endedAt: number;
}

/** Streams one completion from `url` (ours or llama-server: both speak /v1/completions with SSE). */
export async function timedStream(url: string, body: Record<string, unknown>): Promise<StreamTiming> {
  const sentAt = performance.now();
  let usage: number | null = null;
  const res = await fetch(`${url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
  });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const chunkTimes: number[] = [];
  let completionTokens = 0;
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of res.body) {
    const now = performance.now();
    buffer += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
      const frame = JSON.parse(event.slice(6)) as { choices: { text: string; logprobs?: unknown }[]; usage?: { completion_tokens: number } | null; error?: unknown };
      if (frame.error) throw new Error(`stream failed: ${JSON.stringify(frame.error)}`);
      if (frame.usage) usage = frame.usage.completion_tokens;
      if (frame.choices.some((c) => c.text !== "" || c.logprobs)) chunkTimes.push(now);
    }
  }
  // a server that reports no usage in the stream: one chunk per token
  completionTokens = usage ?? chunkTimes.length;
  return { sentAt, chunkTimes, completionTokens, endedAt: performance.now() };
}
