/**
 * The soak's request mix: completions and chat (whole, streamed, streamed and dropped after a few chunks,
 * aborted mid-generation), embeddings, tokenize round trips and deliberately invalid requests. Each call
 * reports how it ended, so the tally can tell served from refused from aborted by the client.
 */
export type Outcome = { kind: string; status: number | "aborted" | "network-error"; clientAbort: boolean };

type Job = { kind: string; weight: number; run: (url: string) => Promise<Outcome> };

const json = { "content-type": "application/json" };
const rand = (n: number) => Math.floor(Math.random() * n);
const PROMPTS = ["Once upon a time", "The weather today is", "def fib(n):", "Lorem ipsum dolor sit amet", "Ünïcödé ✓ 🙂 test"];

async function post(url: string, path: string, body: object, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}${path}`, { method: "POST", headers: json, body: JSON.stringify(body), signal });
}

/** Reads a response fully; for streams, optionally drops it (cancels) after `dropAfter` chunks. */
async function finish(kind: string, res: Response, dropAfter: number | null = null): Promise<Outcome> {
  if (dropAfter === null) {
    await res.arrayBuffer();
    return { kind, status: res.status, clientAbort: false };
  }
  const reader = res.body!.getReader();
  for (let i = 0; i < dropAfter; i++) if ((await reader.read()).done) return { kind, status: res.status, clientAbort: false };
  await reader.cancel();
  return { kind, status: res.status, clientAbort: true };
}

async function attempt(kind: string, fn: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await fn();
  } catch (err) {
    const aborted = err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError");
    return { kind, status: aborted ? "aborted" : "network-error", clientAbort: aborted };
  }
}

const completion = () => ({ model: "test-gpt2", prompt: PROMPTS[rand(PROMPTS.length)]!, max_tokens: 8 + rand(40), temperature: 0.8 });
const chat = () => ({ model: "test-chat", messages: [{ role: "user", content: PROMPTS[rand(PROMPTS.length)]! }], max_tokens: 8 + rand(40) });

export const JOBS: Job[] = [
  { kind: "completion", weight: 20, run: (u) => attempt("completion", async () => finish("completion", await post(u, "/v1/completions", completion()))) },
  { kind: "completion n=2", weight: 5, run: (u) => attempt("completion n=2", async () => finish("completion n=2", await post(u, "/v1/completions", { ...completion(), n: 2, logprobs: 2 }))) },
  { kind: "completion stream", weight: 15, run: (u) => attempt("completion stream", async () => finish("completion stream", await post(u, "/v1/completions", { ...completion(), stream: true }))) },
  { kind: "stream dropped", weight: 10, run: (u) => attempt("stream dropped", async () => finish("stream dropped", await post(u, "/v1/completions", { ...completion(), max_tokens: 200, ignore_eos: true, stream: true }), 1 + rand(5))) },
  {
    kind: "aborted mid-generation",
    weight: 10,
    run: (u) => attempt("aborted mid-generation", async () => finish("aborted mid-generation", await post(u, "/v1/completions", { ...completion(), max_tokens: 300, ignore_eos: true }, AbortSignal.timeout(20 + rand(200))))),
  },
  { kind: "chat", weight: 10, run: (u) => attempt("chat", async () => finish("chat", await post(u, "/v1/chat/completions", chat()))) },
  { kind: "chat stream", weight: 8, run: (u) => attempt("chat stream", async () => finish("chat stream", await post(u, "/v1/chat/completions", { ...chat(), stream: true }))) },
  { kind: "embeddings", weight: 8, run: (u) => attempt("embeddings", async () => finish("embeddings", await post(u, "/v1/embeddings", { model: "test-embed", input: PROMPTS.slice(0, 1 + rand(4)) }))) },
  {
    kind: "tokenize round trip",
    weight: 6,
    run: (u) =>
      attempt("tokenize round trip", async () => {
        const t = (await (await post(u, "/tokenize", { model: "test-gpt2", prompt: PROMPTS[rand(PROMPTS.length)]! })).json()) as { tokens: number[] };
        return finish("tokenize round trip", await post(u, "/detokenize", { model: "test-gpt2", tokens: t.tokens }));
      }),
  },
  {
    kind: "invalid (expect 4xx)",
    weight: 8,
    run: (u) =>
      attempt("invalid (expect 4xx)", async () => {
        const bad = [{ model: "test-gpt2", prompt: "x", n: 1000 }, { model: "nope", prompt: "x" }, { model: "test-gpt2", prompt: [99999] }, { prompt: "x" }];
        return finish("invalid (expect 4xx)", await post(u, "/v1/completions", bad[rand(bad.length)]!));
      }),
  },
];

export function pickJob(): Job {
  const total = JOBS.reduce((s, j) => s + j.weight, 0);
  let r = Math.random() * total;
  for (const j of JOBS) if ((r -= j.weight) < 0) return j;
  return JOBS[0]!;
}
