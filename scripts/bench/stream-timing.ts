/** One streamed completion, timed as a client sees it: when it was sent, when each content chunk arrived. */
import { sseFrames } from "./sse-frames.ts";

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
  const chunkTimes: number[] = [];
  type Frame = { choices: { text: string; logprobs?: unknown }[]; usage?: { completion_tokens: number } | null };
  for await (const { at, frame } of sseFrames<Frame>(res)) {
    if (frame.usage) usage = frame.usage.completion_tokens;
    if (frame.choices.some((c) => c.text !== "" || c.logprobs)) chunkTimes.push(at);
  }
  // a server that reports no usage in the stream: one chunk per token
  return { sentAt, chunkTimes, completionTokens: usage ?? chunkTimes.length, endedAt: performance.now() };
}
