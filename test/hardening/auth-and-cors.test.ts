/**
 * A server with API keys (flag and file), CORS for one origin and METRICS=auth: missing, wrong and right keys
 * on every protected route, open probes, preflights without keys, and CORS headers on answers and refusals.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openaiClient, useServer } from "../helpers/start-server.ts";
import { errorShapeProblem } from "./openai-error-shape.ts";

const FLAG_KEY = "sk-flag-0123456789";
const FILE_KEY = "sk-file-abcdef";
const ORIGIN = "https://app.example.com";
let dir: string;

const ctx = useServer(() => {
  dir = mkdtempSync(join(tmpdir(), "auth-test-"));
  const keysFile = join(dir, "keys.txt");
  writeFileSync(keysFile, `# one key per line\n${FILE_KEY}\n`);
  return {
    args: ["--api-key", FLAG_KEY, "--cors-allow-origins", ORIGIN, "--metrics", "auth"],
    env: { API_KEYS_FILE: keysFile, LOG_LEVEL: "debug" },
  };
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function call(method: string, path: string, headers: Record<string, string> = {}, body?: object): Promise<Response> {
  return fetch(`${ctx.server.url}${path}`, {
    method,
    headers: body ? { "content-type": "application/json", ...headers } : headers,
    body: body ? JSON.stringify(body) : undefined,
  });
}

const PROTECTED: [string, string, object | undefined][] = [
  ["GET", "/v1/models", undefined],
  ["GET", "/v1/models/test-gpt2", undefined],
  ["POST", "/v1/completions", { model: "test-gpt2", prompt: "x", max_tokens: 1 }],
  ["POST", "/v1/chat/completions", { model: "test-chat", messages: [{ role: "user", content: "x" }], max_tokens: 1 }],
  ["POST", "/v1/embeddings", { model: "test-embed", input: "x" }],
  ["POST", "/tokenize", { model: "test-gpt2", prompt: "x" }],
  ["POST", "/detokenize", { model: "test-gpt2", tokens: [1] }],
  ["GET", "/metrics", undefined],
];

describe("API keys", () => {
  for (const [method, path, body] of PROTECTED) {
    test(`${method} ${path}: missing or wrong key → 401 invalid_api_key; the right key gets in`, async () => {
      const attempts: Record<string, string>[] = [{}, { authorization: "Bearer sk-wrong" }, { authorization: `Basic ${FLAG_KEY}` }, { authorization: `Bearer ${FLAG_KEY}x` }];
      for (const headers of attempts) {
        const res = await call(method, path, headers, body);
        expect(res.status).toBe(401);
        const text = await res.text();
        expect(errorShapeProblem(text)).toBeNull();
        const err = JSON.parse(text).error;
        expect(err.code).toBe("invalid_api_key");
        expect(err.type).toBe("authentication_error");
        expect(text).not.toContain("sk-wrong");
        expect(res.headers.get("www-authenticate")).toStartWith("Bearer");
      }
      for (const key of [FLAG_KEY, FILE_KEY]) {
        const res = await call(method, path, { authorization: `Bearer ${key}` }, body);
        // Embeddings are off on this server: its 501 shows the request got past auth.
        expect(res.status).toBe(path === "/v1/embeddings" ? 501 : 200);
      }
    });
  }

  test("probes stay open", async () => {
    expect((await call("GET", "/healthz")).status).toBe(200);
    expect((await call("GET", "/readyz")).status).toBe(200);
  });

  test("the official client with the right key works; with a wrong one it raises AuthenticationError", async () => {
    const good = openaiClient(ctx.server.baseURL);
    good.apiKey = FILE_KEY;
    const done = await good.completions.create({ model: "test-gpt2", prompt: "Hi", max_tokens: 2 });
    expect(done.choices).toHaveLength(1);
    const bad = openaiClient(ctx.server.baseURL); // its key is "test"
    const err = await bad.models.list().then(() => null, (e: unknown) => e);
    expect((err as { status: number }).status).toBe(401);
    expect((err as { code: string }).code).toBe("invalid_api_key");
  });

  test("keys never reach the logs", async () => {
    await call("GET", "/v1/models", { authorization: "Bearer sk-leak-check" });
    const logs = ctx.server.stdout() + ctx.server.stderr();
    for (const secret of [FLAG_KEY, FILE_KEY, "sk-leak-check"]) expect(logs).not.toContain(secret);
  });
});

describe("CORS", () => {
  test("a preflight from the allowed origin needs no key and lists methods and headers explicitly", async () => {
    const res = await call("OPTIONS", "/v1/chat/completions", {
      origin: ORIGIN,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type, x-stainless-os",
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    for (const h of ["authorization", "content-type", "x-stainless-os"]) expect(allowed).toContain(h);
    expect(allowed).not.toContain("undefined");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(res.headers.get("vary")).toContain("Origin");
  });

  test("a preflight from another origin gets no Access-Control-Allow-Origin", async () => {
    const res = await call("OPTIONS", "/v1/completions", { origin: "https://evil.example", "access-control-request-method": "POST" });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("access-control-allow-headers")).toBeNull();
  });

  test("answers, refusals included, carry CORS headers for the allowed origin only", async () => {
    const ok = await call("GET", "/v1/models", { origin: ORIGIN, authorization: `Bearer ${FLAG_KEY}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(ok.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
    const refused = await call("GET", "/v1/models", { origin: ORIGIN });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    const other = await call("GET", "/v1/models", { origin: "https://evil.example", authorization: `Bearer ${FLAG_KEY}` });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});
