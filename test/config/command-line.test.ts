/**
 * The settings as a user meets them: `--help` lists every setting, a bad value stops the real process with
 * exit code 2 and one line, and values from the environment and flags reach the running server.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { SETTINGS } from "../../src/config/settings-spec.ts";
import { runCli, startServer, testRegistryPath, type TestServer } from "../helpers/start-server.ts";

describe("--help", () => {
  test("lists every flag and environment variable with its default, and exits 0", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    for (const spec of Object.values(SETTINGS)) {
      expect(r.stdout).toContain(spec.flag);
      expect(r.stdout).toContain(spec.env);
      const label = "defaultLabel" in spec && spec.defaultLabel ? spec.defaultLabel : JSON.stringify(spec.default);
      expect(r.stdout).toContain(`(default: ${label})`);
    }
    expect(r.stdout).not.toContain("listening");
  });

  test("names every exit code the program uses, 3 (native libraries) included", async () => {
    const r = await runCli(["--help"]);
    const exitLine = r.stdout.split("\n").find((l) => l.startsWith("Exit codes:"))!;
    for (const code of ["0", "1", "2", "3"]) expect(exitLine).toMatch(new RegExp(`\\b${code} `));
    expect(exitLine).toContain("native libraries");
  });

  test("the --cache-dir default names XDG_CACHE_HOME, as the cache folder is chosen", async () => {
    const r = await runCli(["--help"]);
    expect(r.stdout).toContain("$XDG_CACHE_HOME/gpt3dev-api/models");
  });
});

describe("a bad setting stops the server at start", () => {
  const cases: [string, string[], Record<string, string>, string][] = [
    ["MAX_BATCH_SIZE=abc", [], { MAX_BATCH_SIZE: "abc" }, "MAX_BATCH_SIZE"],
    ["--device gpu", ["--device", "gpu"], {}, "--device"],
    ["CORS_ALLOW_ORIGINS with a path", [], { CORS_ALLOW_ORIGINS: "https://a.com/x" }, "CORS_ALLOW_ORIGINS"],
    ["an unknown flag", ["--max-tokens", "5"], {}, "--max-tokens"],
    ["a registry file that does not exist", ["--registry", "/nonexistent/registry.yaml"], {}, "/nonexistent/registry.yaml"],
  ];
  for (const [name, args, env, named] of cases) {
    test(`${name}: exit code 2 and one stderr line naming it`, async () => {
      const r = await runCli(["--port", "0", ...args], env);
      expect(r.code).toBe(2);
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toStartWith("gpt3dev-api: ");
      expect(lines[0]).toContain(named);
      expect(r.stdout).not.toContain("listening");
    });
  }
});

describe("settings reach the running server", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      // PORT=1 would fail to bind: the helper's --port 0 must win over it.
      env: { PORT: "1", MAX_N: "2", MAX_PROMPTS_PER_REQUEST: "2", CORS_ALLOW_ORIGINS: "https://a.com, https://b.com" },
      args: ["--max-prompts", "3"],
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const post = (body: object) =>
    fetch(`${server.url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "test-gpt2", max_tokens: 1, ...body }) });

  test("the --port flag beats PORT from the environment", () => {
    expect(new URL(server.url).port).not.toBe("1");
    expect(server.stdout()).toContain(server.url);
  });

  test("MAX_N from the environment applies", async () => {
    expect((await post({ prompt: "x", n: 2 })).status).toBe(200);
    const refused = await post({ prompt: "x", n: 3 });
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { error: { param: string; message: string } };
    expect(body.error.param).toBe("n");
    expect(body.error.message).toContain("MAX_N");
  });

  test("--max-prompts overrides MAX_PROMPTS_PER_REQUEST", async () => {
    expect((await post({ prompt: ["a", "b", "c"] })).status).toBe(200);
    const refused = await post({ prompt: ["a", "b", "c", "d"] });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { param: string } }).error.param).toBe("prompt");
  });

  test("both comma-separated CORS origins are allowed, others are not", async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/v1/completions`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type, authorization" },
      });
    for (const origin of ["https://a.com", "https://b.com"]) {
      const res = await preflight(origin);
      expect(res.status).toBeLessThan(300);
      expect(res.headers.get("access-control-allow-origin")).toBe(origin);
    }
    const other = await preflight("https://evil.example");
    expect(other.headers.get("access-control-allow-origin") ?? "").not.toContain("evil.example");
    const simple = await fetch(`${server.url}/v1/models`, { headers: { origin: "https://b.com" } });
    expect(simple.headers.get("access-control-allow-origin")).toBe("https://b.com");
  });

  test("the registry given by flag is the one served", async () => {
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: { id: string }[] };
    const listed = (parseYaml(readFileSync(testRegistryPath(), "utf8")) as { name: string }[]).map((e) => e.name);
    expect(listed).toContain("test-gpt2");
    expect(models.data.map((m) => m.id).sort()).toEqual(listed.sort());
  });
});
