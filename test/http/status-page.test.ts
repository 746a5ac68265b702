/**
 * GET / through the real process with API keys on: everyone gets the status document (service, version,
 * uptime, endpoints) with 200, JSON or — for Accept: text/html — one readable page; only a request with a valid
 * key also sees the models and their state. (With keys off it lists them to everyone: see
 * test/registry/allow-list-and-metadata.test.ts.)
 */
import { describe, expect, test } from "bun:test";
import packageJson from "../../package.json" with { type: "json" };
import type { StatusDocument } from "../../src/http/status/status-schema.ts";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { testRegistryPath, useServer } from "../helpers/start-server.ts";

const ctx = useServer({ args: ["--api-key", "secret-1"] });
const HTML = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };

async function get(headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(`${ctx.server.url}/`, { headers });
  expect(res.status).toBe(200);
  return res;
}

describe("the JSON document", () => {
  test("without a key, or with a wrong one: the server's facts, no model list", async () => {
    for (const headers of [{}, { authorization: "Bearer wrong" }] as Record<string, string>[]) {
      const res = await get(headers);
      expect(res.headers.get("content-type")).toContain("application/json");
      const doc = (await res.json()) as StatusDocument;
      expect(doc).toMatchObject({ service: "gpt3dev-api", version: packageJson.version, commit: "dev" });
      expect(doc.uptime_seconds).toBeGreaterThanOrEqual(0);
      expect(doc.endpoints).toContain("POST /v1/responses");
      expect(doc.endpoints).toContain("GET /v1/models");
      expect(doc.models).toBeUndefined();
    }
  });

  test("with a valid key: every model with its task and load state", async () => {
    const doc = (await (await get({ authorization: "Bearer secret-1" })).json()) as StatusDocument;
    // The test registry's entries, in its order (test-gpt2-small is there once a benchmark has made it).
    const names = (parse(readFileSync(testRegistryPath(), "utf8")) as { name: string }[]).map((e) => e.name);
    expect(names.slice(0, 3)).toEqual(["test-gpt2", "test-chat", "test-embed"]);
    expect(doc.models!.map((m) => m.id)).toEqual(names);
    expect(doc.models![2]).toEqual({ id: "test-embed", task: "embeddings", state: "not_loaded", loaded: false });
  });

  test("the model list follows the pool: a loaded model says so", async () => {
    const r = await fetch(`${ctx.server.baseURL}/completions`, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer secret-1" }, body: JSON.stringify({ model: "test-gpt2", prompt: "a", max_tokens: 1 }) });
    expect(r.status).toBe(200);
    const doc = (await (await get({ authorization: "Bearer secret-1" })).json()) as StatusDocument;
    expect(doc.models![0]).toMatchObject({ id: "test-gpt2", state: "loaded", loaded: true });
  });
});

describe("the page for a browser", () => {
  test("the same facts and links to the endpoints; the models only with a valid key", async () => {
    const anonymous = await get(HTML);
    expect(anonymous.headers.get("content-type")).toContain("text/html");
    const page = await anonymous.text();
    expect(page).toStartWith("<!doctype html>");
    expect(page).toContain(`Version ${packageJson.version}`);
    expect(page).toContain('<a href="/v1/models">');
    expect(page).toContain("POST /v1/responses");
    expect(page).not.toContain("test-chat");
    expect(page).toContain("Send a valid API key");

    const keyed = await (await get({ ...HTML, authorization: "Bearer secret-1" })).text();
    expect(keyed).toContain('<a href="/v1/models/test-chat">test-chat</a>');
    expect(keyed).not.toContain("Send a valid API key");
  });

  test("other routes still need the key", async () => {
    const res = await fetch(`${ctx.server.url}/v1/models`);
    expect(res.status).toBe(401);
  });
});
