/**
 * What structured output costs per decode step, as a client sees it: streamed chat completions of the same model
 * with no constraint, then held to a JSON object, JSON schemas of rising cost (a length overlay, $defs + anyOf +
 * pattern + format) and a forced tool call, each at 1 and N concurrent streams. Every token is its own chunk
 * (logprobs on), so the gap between chunks is one step of the batch loop — forward pass, mask round trip to the
 * grammar worker, sampling — and the constrained rows' gap minus the free row's is what the grammar adds.
 * Each grammar is compiled by a warm-up request first; its first-request time to first token (compile included)
 * is reported beside the warm one.
 */
import { markdownTable } from "./markdown-table.ts";
import { percentile } from "./percentile.ts";
import { sseFrames } from "./sse-frames.ts";

export interface ConstrainedCase {
  name: string;
  /** Extra chat fields: response_format, or tools + tool_choice. */
  body: Record<string, unknown>;
  /** The free runs beside it, when they need the same prompt (tools offered under auto: no constraint). */
  free?: ConstrainedCase;
}

const TOOLS = [
  { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string", maxLength: 40 }, days: { type: "integer", minimum: 1, maximum: 14 } }, required: ["city", "days"] } } },
  { type: "function", function: { name: "add", parameters: { type: "object", properties: { a: { type: "integer", minimum: 0, maximum: 999 }, b: { type: "integer", minimum: 0, maximum: 999 } }, required: ["a", "b"] } } },
];

const schema = (name: string, s: object) => ({ response_format: { type: "json_schema", json_schema: { name, schema: s, strict: true } } });

const FREE: ConstrainedCase = { name: "free (no constraint)", body: {} };

export const CONSTRAINED_CASES: readonly ConstrainedCase[] = [
  { name: "json_object", body: { response_format: { type: "json_object" } } },
  { name: "json_schema: 3 fields", body: schema("three", { type: "object", properties: { name: { type: "string" }, age: { type: "integer" }, ok: { type: "boolean" } }, required: ["name", "age", "ok"] }) },
  { name: "json_schema: maxLength 200 string", body: schema("long", { type: "object", properties: { s: { type: "string", maxLength: 200 } }, required: ["s"] }) },
  {
    name: "json_schema: $defs + anyOf + pattern + format",
    body: schema("rich", {
      $defs: { P: { type: "object", properties: { id: { type: "string", format: "uuid" }, tag: { type: "string", pattern: "^[a-z]+-[0-9]{2}$" }, next: { anyOf: [{ $ref: "#/$defs/P" }, { type: "null" }] } }, required: ["id", "tag", "next"] } },
      $ref: "#/$defs/P",
    }),
  },
  // Beside free runs with the same tools offered (tool_choice auto): the same, longer prompt, no constraint.
  { name: "tool call (required, 2 tools)", body: { tools: TOOLS, tool_choice: "required" }, free: { name: "tools offered, auto", body: { tools: TOOLS, tool_choice: "auto" } } },
];

export interface ConstrainedRow {
  name: string;
  clients: number;
  /** Gaps between a stream's token chunks (every gap of every stream): the constrained runs and the free ones beside them. */
  held: { p50: number; mean: number };
  free: { p50: number; mean: number };
  tokens: number;
  /** Time to first token of the first request of this grammar (compile included), and of warm ones. */
  firstTtft: number;
  warmTtft: number;
}

interface Timed {
  sentAt: number;
  tokenTimes: number[];
}

/** One streamed chat completion; each chunk that carries a token's logprobs is one decode step. */
async function timedChat(url: string, body: Record<string, unknown>): Promise<Timed> {
  const sentAt = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...body, stream: true, logprobs: true }) });
  const tokenTimes: number[] = [];
  type Frame = { choices: { logprobs: { content: unknown[] | null } | null }[] };
  for await (const { at, frame } of sseFrames<Frame>(res)) for (const c of frame.choices) for (const _ of c.logprobs?.content ?? []) tokenTimes.push(at);
  return { sentAt, tokenTimes };
}

const gapsOf = (runs: Timed[]) => runs.flatMap((r) => r.tokenTimes.slice(1).map((t, i) => t - r.tokenTimes[i]!));
const summary = (gaps: number[]) => ({ p50: percentile(gaps, 50), mean: gaps.reduce((a, b) => a + b, 0) / gaps.length });

/**
 * Each grammar at each concurrency, `reps` times, alternating with free streams of the same shape, so both
 * see the same machine (a shared box drifts by more than the grammar costs).
 */
export async function measureConstrained(opts: { url: string; model: string; tokens: number; concurrency: number[]; reps: number; log: (line: string) => void }): Promise<ConstrainedRow[]> {
  const rows: ConstrainedRow[] = [];
  let salt = 0;
  const request = (c: ConstrainedCase) => ({
    model: opts.model,
    messages: [{ role: "user", content: `Request ${salt++}: answer in the format asked for.` }],
    max_tokens: opts.tokens,
    temperature: 1,
    seed: salt,
    // A free stream runs its full length; a grammar may end its stream earlier.
    ...(c.body.response_format === undefined && c.body.tool_choice !== "required" ? { ignore_eos: true } : {}),
    ...c.body,
  });
  const batch = (c: ConstrainedCase, clients: number) => Promise.all(Array.from({ length: clients }, () => timedChat(opts.url, request(c))));
  // Loads the model, so no case's first request pays for that.
  await batch(FREE, 1);
  for (const c of CONSTRAINED_CASES) {
    opts.log(`constrained decoding: ${c.name}`);
    const first = await timedChat(opts.url, request(c));
    for (const clients of opts.concurrency) {
      const held: Timed[] = [];
      const free: Timed[] = [];
      for (let rep = 0; rep < opts.reps; rep++) {
        free.push(...(await batch(c.free ?? FREE, clients)));
        held.push(...(await batch(c, clients)));
      }
      rows.push({
        name: c.name,
        clients,
        held: summary(gapsOf(held)),
        free: summary(gapsOf(free)),
        tokens: held.reduce((n, r) => n + r.tokenTimes.length, 0),
        firstTtft: first.tokenTimes[0]! - first.sentAt,
        warmTtft: percentile(held.map((r) => r.tokenTimes[0]! - r.sentAt), 50),
      });
    }
  }
  return rows;
}

export function renderConstrained(model: string, tokens: number, reps: number, rows: ConstrainedRow[]): string {
  const table = markdownTable(
    ["output held to", "streams", "free step p50 ms", "held step p50 ms", "free step mean ms", "held step mean ms", "held − free ms", "× free", "tokens", "TTFT first (compile) ms", "TTFT warm ms"],
    rows.map((r) => [
      r.name,
      String(r.clients),
      r.free.p50.toFixed(2),
      r.held.p50.toFixed(2),
      r.free.mean.toFixed(2),
      r.held.mean.toFixed(2),
      (r.held.mean - r.free.mean).toFixed(2),
      `${(r.held.mean / r.free.mean).toFixed(2)}×`,
      String(r.tokens),
      r.firstTtft.toFixed(0),
      r.warmTtft.toFixed(0),
    ]),
  );
  return [
    `### Constrained decoding: per-step cost beside free decoding (${model})`,
    "",
    `Streamed chat completions of up to ${tokens} tokens at temperature 1 (seeded), logprobs on so every token is its own chunk; ` +
      `"step": the gap between a stream's tokens (one batch-loop step: forward pass, grammar mask round trip, sampling), over ${reps} run(s) ` +
      `per row, each right after a free run of the same shape ("free": no constraint, ignore_eos; for the tool call, the same tools ` +
      `offered under tool_choice auto, so the prompt is the same). "TTFT first": the first request of that ` +
      `grammar, its compile included; later requests hit the compiled-grammar cache.`,
    "",
    table,
  ].join("\n");
}
