/**
 * The front door driven directly (as Hono's tests drive app.request), with a stand-in for the routes: every
 * request, refused or served, streamed or not, is reported exactly once (one access-log line), when its
 * response has gone out, with the status and error code the client got; it counts as in flight until then;
 * and every answer carries its request id and CORS headers; the routes learn who called (the auth step's caller).
 */
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { loadSettings } from "../../src/config/load-settings.ts";
import { ModelPool } from "../../src/engine/model-pool.ts";
import { ApiKeys } from "../../src/http/auth/api-keys.ts";
import { callerOf } from "../../src/http/auth/caller.ts";
import { CorsPolicy } from "../../src/http/cors/cors-policy.ts";
import { frontDoor } from "../../src/http/front-door/front-door.ts";
import { InFlightRequests } from "../../src/http/lifecycle/in-flight.ts";
import { ServerMetrics } from "../../src/http/observability/server-metrics.ts";
import { Logger } from "../../src/observability/logger.ts";

function door(routes: (request: Request) => Promise<Response>, keys: string[] = []) {
  const { settings } = loadSettings(["--include-default-models=false"], {});
  const pool = new ModelPool([], settings, { endpoint: settings.hfEndpoint, token: "", offline: true, cacheDir: "/nonexistent" });
  const inFlight = new InFlightRequests();
  const lines: Record<string, unknown>[] = [];
  const logger = new Logger({ level: "info", format: "json", write: (l) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
  const fetch = frontDoor({
    app: { handle: routes },
    keys: new ApiKeys(keys),
    cors: new CorsPolicy(["https://app.example"]),
    inFlight,
    metrics: new ServerMetrics(pool, { inFlight: () => inFlight.size, draining: () => inFlight.draining }),
    logger,
    maxBodyBytes: 1024 * 1024,
    metricsOpen: true,
  });
  return { fetch, inFlight, lines };
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const origin = { origin: "https://app.example" };

describe("one observation per request, reported once when the response has gone out", () => {
  test("a JSON answer: logged at once with its status; id and CORS headers on it; nothing left in flight", async () => {
    const d = door(async () => json({ ok: true }));
    const res = await d.fetch(new Request("http://x/v1/models", { headers: { ...origin, "x-request-id": "abc-1" } }));
    expect(res.headers.get("x-request-id")).toBe("abc-1");
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(d.lines).toHaveLength(1);
    expect(d.lines[0]).toMatchObject({ msg: "request", request_id: "abc-1", route: "/v1/models", status: 200 });
    expect(d.inFlight.size).toBe(0);
  });

  test("a stream: in flight and unlogged until its last byte is read, then logged once as a stream", async () => {
    const d = door(async () => new Response(new Blob(["data: 1\n\n", "data: [DONE]\n\n"]).stream(), { headers: { "content-type": "text/event-stream" } }));
    const res = await d.fetch(new Request("http://x/v1/completions", { method: "POST" }));
    expect(d.inFlight.size).toBe(1);
    expect(d.lines).toHaveLength(0);
    expect(await res.text()).toContain("[DONE]");
    expect(d.inFlight.size).toBe(0);
    expect(d.lines).toHaveLength(1);
    expect(d.lines[0]).toMatchObject({ status: 200, stream: true });
  });

  test("a client that leaves mid-stream ends it too, marked client_gone", async () => {
    const d = door(async () => new Response(new ReadableStream({ pull: () => new Promise(() => {}) }), { headers: { "content-type": "text/event-stream" } }));
    const res = await d.fetch(new Request("http://x/v1/completions", { method: "POST" }));
    await res.body!.cancel();
    expect(d.inFlight.size).toBe(0);
    expect(d.lines).toEqual([expect.objectContaining({ client_gone: true })]);
  });

  test("a refusal (no API key) never reaches the routes or counts as in flight, and is logged with its code", async () => {
    let reached = false;
    const d = door(async () => ((reached = true), json({})), ["sk-1"]);
    const res = await d.fetch(new Request("http://x/v1/models", { headers: origin }));
    expect(res.status).toBe(401);
    expect(res.headers.get("x-request-id")).toMatch(/^req-/);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(reached).toBe(false);
    expect(d.lines).toEqual([expect.objectContaining({ status: 401, error: "invalid_api_key" })]);
  });

  test("a CORS preflight is answered before auth, with an id, and observed", async () => {
    const d = door(async () => json({}), ["sk-1"]);
    const res = await d.fetch(new Request("http://x/v1/completions", { method: "OPTIONS", headers: { ...origin, "access-control-request-method": "POST" } }));
    expect(res.status).toBe(204);
    expect(res.headers.get("x-request-id")).toMatch(/^req-/);
    expect(d.lines).toEqual([expect.objectContaining({ method: "OPTIONS", status: 204 })]);
  });

  test("what the routes throw is still an OpenAI error, observed with its code", async () => {
    const d = door(async () => {
      throw new Error("boom");
    });
    const res = await d.fetch(new Request("http://x/v1/models"));
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("internal_error");
    expect(d.lines).toEqual([expect.objectContaining({ status: 500, error: "internal_error" })]);
  });
});

describe("the routes learn who called", () => {
  const whoCalled = door(async (request) => json(callerOf(request)), ["sk-1", "sk-2"]);
  const caller = async (path: string, key?: string) => {
    const res = await whoCalled.fetch(new Request(`http://x${path}`, key ? { headers: { authorization: `Bearer ${key}` } } : {}));
    return { status: res.status, body: (await res.json()) as unknown };
  };

  test("a valid key: authorized, with its SHA-256 as the owner digest (never the key)", async () => {
    const digest = createHash("sha256").update("sk-2").digest("hex");
    expect(await caller("/v1/models", "sk-2")).toEqual({ status: 200, body: { authorized: true, keyDigest: digest } });
  });

  test("/ lets everyone through, telling the route the caller is not authorized; other paths refuse", async () => {
    expect(await caller("/")).toEqual({ status: 200, body: { authorized: false, keyDigest: null } });
    expect(await caller("/", "nope")).toEqual({ status: 200, body: { authorized: false, keyDigest: null } });
    expect((await caller("/v1/models")).status).toBe(401);
  });

  test("with keys off everyone is authorized and anonymous", async () => {
    const open = door(async (request) => json(callerOf(request)));
    const res = await open.fetch(new Request("http://x/v1/models", { headers: { authorization: "Bearer anything" } }));
    expect(await res.json()).toEqual({ authorized: true, keyDigest: null });
  });
});
