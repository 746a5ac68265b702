import { describe, expect, test } from "bun:test";
import { healthzUrl, runHealthcheck } from "../../src/platform/healthcheck.ts";

describe("healthcheck", () => {
  test("wildcard hosts are reached through loopback, IPv6 in brackets", () => {
    expect(healthzUrl("0.0.0.0", 8000)).toBe("http://127.0.0.1:8000/healthz");
    expect(healthzUrl("::", 8000)).toBe("http://[::1]:8000/healthz");
    expect(healthzUrl("10.1.2.3", 9000)).toBe("http://10.1.2.3:9000/healthz");
  });

  test("exit 0 on 200, 1 on another status or no server", async () => {
    let status = 200;
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req) => new Response("ok", { status: new URL(req.url).pathname === "/healthz" ? status : 404 }) });
    try {
      expect(await runHealthcheck("0.0.0.0", server.port!)).toBe(0);
      status = 503;
      expect(await runHealthcheck("127.0.0.1", server.port!)).toBe(1);
    } finally {
      server.stop(true);
    }
    expect(await runHealthcheck("127.0.0.1", server.port!, 1000)).toBe(1);
  });
});
