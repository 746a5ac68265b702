/**
 * A few hundred generated malformed requests (seeded, so every run sends the same ones) against completions,
 * chat, embeddings, tokenize and detokenize. Every answer must be a 4xx OpenAI error body, never a 5xx; the
 * server must answer normally afterwards; and its resident memory may grow by at most RSS_BOUND.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startServer, type TestServer } from "../helpers/start-server.ts";
import { hostileCases } from "./hostile-cases.ts";
import { errorShapeProblem } from "./openai-error-shape.ts";
import { mapLimit, sendCase } from "./send-case.ts";
import { rssBytes } from "./server-memory.ts";

const SEED = 0x5eed_0006;
const COUNT = 320;
/** The stated bound: RSS after the suite minus RSS after warm-up (all three models loaded). */
const RSS_BOUND = 150 * 1024 * 1024;

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ env: { ENABLE_EMBEDDINGS_BACKEND: "true" } });
});

afterAll(async () => {
  await server?.stop();
});

async function post(path: string, body: object): Promise<Response> {
  return fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

async function servesNormally(): Promise<void> {
  const [c, ch, e, h] = await Promise.all([
    post("/v1/completions", { model: "test-gpt2", prompt: "Hello", max_tokens: 2 }),
    post("/v1/chat/completions", { model: "test-chat", messages: [{ role: "user", content: "hi" }], max_tokens: 2 }),
    post("/v1/embeddings", { model: "test-embed", input: "hi" }),
    fetch(`${server.url}/healthz`),
  ]);
  expect([c.status, ch.status, e.status, h.status]).toEqual([200, 200, 200, 200]);
  expect(((await c.json()) as { choices: unknown[] }).choices).toHaveLength(1);
}

test(`${COUNT} hostile requests: all 4xx OpenAI errors, server fine after, RSS within +150 MB`, async () => {
  await servesNormally(); // loads every model, so their memory is in the baseline
  const before = await rssBytes(server.proc.pid);
  const cases = hostileCases(SEED, COUNT);
  expect(cases.length).toBe(COUNT);
  const answers = await mapLimit(cases, 6, (c) => sendCase(server.url, c).then((a) => ({ c, a })));
  const bad: string[] = [];
  for (const { c, a } of answers) {
    const shape = errorShapeProblem(a.text);
    if (a.status < 400 || a.status >= 500) bad.push(`${c.name}: status ${a.status} ${a.text.slice(0, 120)}`);
    else if (c.status !== null && a.status !== c.status) bad.push(`${c.name}: status ${a.status}, expected ${c.status}`);
    else if (shape) bad.push(`${c.name}: ${shape}`);
  }
  expect(bad).toEqual([]);
  await servesNormally();
  const after = await rssBytes(server.proc.pid);
  expect(after - before).toBeLessThan(RSS_BOUND);
  expect(server.proc.exitCode).toBeNull();
  expect(server.stderr()).not.toContain("Internal error");
}, 90_000);

test("every status seen is a deliberate one", async () => {
  // The generator reaches the body limit, validation, the model lookup and the routes' own checks.
  const statuses = new Set<number>();
  const answers = await mapLimit(hostileCases(SEED, 60), 6, (c) => sendCase(server.url, c));
  for (const a of answers) statuses.add(a.status);
  for (const s of statuses) expect([400, 404, 413]).toContain(s);
});
