/**
 * What the batching tests share: plain fetch calls to /v1/completions (streamed with arrival times, or not),
 * the engine load from /healthz, and polling for it.
 */
import { sseEvents } from "../helpers/sse.ts";

export interface CompletionBody {
  model: string;
  prompt: string | number[];
  max_tokens: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  seed?: number;
  n?: number;
  logprobs?: number;
  echo?: boolean;
  stop?: string[];
  ignore_eos?: boolean;
  presence_penalty?: number;
  frequency_penalty?: number;
  repetition_penalty?: number;
  logit_bias?: Record<string, number>;
}

export interface Choice {
  index: number;
  text: string;
  finish_reason: string | null;
  logprobs: { tokens: string[]; token_logprobs: (number | null)[] } | null;
}

export async function complete(url: string, body: CompletionBody): Promise<Choice[]> {
  const res = await fetch(`${url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = (await res.json()) as { choices?: Choice[]; error?: unknown };
  if (!res.ok || !json.choices) throw new Error(`HTTP ${res.status}: ${JSON.stringify(json)}`);
  return json.choices;
}

export interface StreamHandle {
  /** Resolves with the HTTP status as soon as the response head arrives. */
  status: Promise<number>;
  /** performance.now() of the first content chunk (resolves when it arrives). */
  firstChunk: Promise<number>;
  /** Resolves when the stream ends (finished, refused or aborted) with its text and chunk count. */
  done: Promise<{ text: string; chunks: number; endedAt: number; aborted: boolean }>;
  abort(): void;
  /** Content chunks received so far. */
  readonly chunks: number;
}

/** Opens a streamed completion and follows it chunk by chunk. */
export function stream(url: string, body: CompletionBody): StreamHandle {
  const abort = new AbortController();
  let chunks = 0;
  let resolveStatus: (s: number) => void = () => {};
  let resolveFirst: (t: number) => void = () => {};
  const status = new Promise<number>((r) => (resolveStatus = r));
  const firstChunk = new Promise<number>((r) => (resolveFirst = r));
  const done = (async () => {
    let text = "";
    try {
      const res = await fetch(`${url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...body, stream: true }),
        signal: abort.signal,
      });
      resolveStatus(res.status);
      if (!res.ok || !res.body) return { text: await res.text(), chunks, endedAt: performance.now(), aborted: false };
      for await (const e of sseEvents(res.body)) {
        if (e.data === "[DONE]") break;
        const frame = JSON.parse(e.data) as { choices: { text: string }[] };
        const piece = frame.choices.map((c) => c.text).join("");
        if (piece === "") continue;
        if (chunks++ === 0) resolveFirst(performance.now());
        text += piece;
      }
      return { text, chunks, endedAt: performance.now(), aborted: false };
    } catch (err) {
      if (abort.signal.aborted) return { text, chunks, endedAt: performance.now(), aborted: true };
      throw err;
    } finally {
      resolveStatus(0);
    }
  })();
  return {
    status,
    firstChunk,
    done,
    abort: () => abort.abort(),
    get chunks() {
      return chunks;
    },
  };
}

export interface Health {
  active_sequences: number;
  queued_requests: number;
}

export async function health(url: string): Promise<Health> {
  return (await (await fetch(`${url}/healthz`)).json()) as Health;
}

/** Polls /healthz until `ok` holds (or fails after `timeoutMs`, showing the last answer). */
export async function waitForHealth(url: string, ok: (h: Health) => boolean, timeoutMs = 15_000): Promise<Health> {
  const until = performance.now() + timeoutMs;
  let last = await health(url);
  while (!ok(last)) {
    if (performance.now() > until) throw new Error(`/healthz never reached the expected state; last: ${JSON.stringify(last)}`);
    await Bun.sleep(10);
    last = await health(url);
  }
  return last;
}

/** Deterministic prompt token ids of an exact length (ordinary GPT-2 tokens, no special ones). */
export function promptIds(length: number, salt = 0): number[] {
  return Array.from({ length }, (_, i) => (i * 7919 + salt * 104729 + 464) % 50000);
}
