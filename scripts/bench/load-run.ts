/**
 * A closed-loop load: `clients` streaming clients, each sending `rounds` requests back to back. The first
 * round starts as a burst (every client at once); later rounds arrive as earlier ones finish, which is the
 * steady state a server lives in, so time to first token is reported for both.
 */
import { percentile } from "./percentile.ts";
import { timedStream, type StreamTiming } from "./stream-timing.ts";

export interface LoadSpec {
  url: string;
  model: string;
  clients: number;
  rounds: number;
  promptTokens: number;
  outputTokens: number;
  /** Extra request fields (llama-server's n_predict), replacing the defaults they name. */
  extra?: Record<string, unknown>;
}

export interface LoadResult {
  clients: number;
  requests: number;
  outputTokens: number;
  wallMs: number;
  aggregateTokPerS: number;
  ttftBurst: { p50: number; p99: number };
  ttftSteady: { p50: number; p99: number };
  /** Every request's time to first token, burst and steady together (what compare.sh reports). */
  ttftAll: { p50: number; p99: number };
  itl: { p50: number; p99: number };
}

/** Distinct prompts of exact length (ordinary GPT-2 tokens), so no two requests share a prefix. */
export function benchPrompt(length: number, salt: number): number[] {
  return Array.from({ length }, (_, i) => (i * 7919 + salt * 104729 + 464) % 50000);
}

export async function runLoad(spec: LoadSpec, saltBase: number): Promise<LoadResult> {
  const timings: { round: number; t: StreamTiming }[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: spec.clients }, async (_, client) => {
      for (let round = 0; round < spec.rounds; round++) {
        const t = await timedStream(spec.url, {
          model: spec.model,
          prompt: benchPrompt(spec.promptTokens, saltBase + client * spec.rounds + round),
          max_tokens: spec.outputTokens,
          temperature: 0,
          ignore_eos: true,
          // every token its own chunk: a token that ends mid-character would otherwise be held back and merged
          logprobs: 0,
          ...spec.extra,
        });
        timings.push({ round, t });
      }
    }),
  );
  const wallMs = performance.now() - started;
  const ttft = (rounds: (r: number) => boolean) => timings.filter((x) => rounds(x.round) && x.t.chunkTimes.length > 0).map((x) => x.t.chunkTimes[0]! - x.t.sentAt);
  const burst = ttft((r) => r === 0);
  const steady = spec.rounds > 1 ? ttft((r) => r > 0) : burst;
  const gaps = timings.flatMap(({ t }) => t.chunkTimes.slice(1).map((at, i) => at - t.chunkTimes[i]!));
  const outputTokens = timings.reduce((sum, x) => sum + x.t.completionTokens, 0);
  return {
    clients: spec.clients,
    requests: timings.length,
    outputTokens,
    wallMs,
    aggregateTokPerS: (outputTokens * 1000) / wallMs,
    ttftBurst: { p50: percentile(burst, 50), p99: percentile(burst, 99) },
    ttftSteady: { p50: percentile(steady, 50), p99: percentile(steady, 99) },
    ttftAll: { p50: percentile(ttft(() => true), 50), p99: percentile(ttft(() => true), 99) },
    itl: { p50: percentile(gaps, 50), p99: percentile(gaps, 99) },
  };
}

/** Single stream, as a client sees it: time to first token and decode rate after it. */
export async function singleStream(url: string, model: string, promptTokens: number, outputTokens: number, salt: number, extra: Record<string, unknown> = {}): Promise<{ ttftMs: number; decodeTokPerS: number }> {
  const t = await timedStream(url, { model, prompt: benchPrompt(promptTokens, salt), max_tokens: outputTokens, temperature: 0, ignore_eos: true, ...extra });
  const first = t.chunkTimes[0]!;
  const last = t.chunkTimes[t.chunkTimes.length - 1]!;
  // the first token comes from the prefill; the rest are decode steps
  return { ttftMs: first - t.sentAt, decodeTokPerS: ((t.completionTokens - 1) * 1000) / (last - first) };
}
