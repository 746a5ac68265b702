/** METRICS on/auth/off, through the front door without a socket. */
import { expect, test } from "bun:test";
import { loadSettings } from "../../src/config/load-settings.ts";
import { ModelPool } from "../../src/engine/model-pool.ts";
import { buildHttp } from "../../src/http/app.ts";
import { silentLogger } from "../../src/observability/logger.ts";

function frontDoor(env: Record<string, string>) {
  const { settings } = loadSettings(["--include-default-models=false"], env);
  const pool = new ModelPool([], settings, { endpoint: settings.hfEndpoint, token: "", offline: true, cacheDir: "/nonexistent" });
  return buildHttp({ settings, pool }, silentLogger).fetch;
}

const metrics = (fetch: (r: Request) => Promise<Response>, headers: Record<string, string> = {}) => fetch(new Request("http://local/metrics", { headers }));

test("on: open to all, Prometheus text", async () => {
  const res = await metrics(frontDoor({ METRICS: "on", API_KEYS: "k" }));
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
  expect(await res.text()).toContain("# TYPE gpt3dev_requests_total counter");
});

test("auth: needs a key when keys are set", async () => {
  const fetch = frontDoor({ METRICS: "auth", API_KEYS: "k" });
  expect((await metrics(fetch)).status).toBe(401);
  expect((await metrics(fetch, { authorization: "Bearer k" })).status).toBe(200);
});

test("off: 404", async () => {
  const res = await metrics(frontDoor({ METRICS: "off" }));
  expect(res.status).toBe(404);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
});
