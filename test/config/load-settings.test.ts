/**
 * Settings parsing (src/config/load-settings.ts) as a pure function: defaults, the environment, flags over the
 * environment, list and repeatable settings, and one-line errors that name the setting.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ConfigError, loadSettings } from "../../src/config/load-settings.ts";
import { SETTINGS } from "../../src/config/settings-spec.ts";

const load = (argv: string[], env: Record<string, string> = {}) => loadSettings(argv, env).settings;

/** The ConfigError a bad setting raises (fails the test if none). */
function configError(argv: string[], env: Record<string, string> = {}): ConfigError {
  try {
    loadSettings(argv, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify({ argv, env })} to be refused`);
}

describe("sources and precedence", () => {
  test("with nothing set every setting is its table default", () => {
    const s = load([]);
    for (const [key, spec] of Object.entries(SETTINGS)) expect(s[key as keyof typeof s]).toEqual(spec.default);
    expect(s.host).toBe("127.0.0.1");
    expect(s.port).toBe(8000);
  });

  test("the environment sets a value; a flag beats the environment, in both flag spellings", () => {
    expect(load([], { PORT: "9000" }).port).toBe(9000);
    expect(load(["--port", "9001"], { PORT: "9000" }).port).toBe(9001);
    expect(load(["--port=9002"], { PORT: "9000" }).port).toBe(9002);
    expect(load(["--host", "0.0.0.0"], { HOST: "::1" }).host).toBe("0.0.0.0");
    expect(load([], { MODEL_REGISTRY_PATH: "/a.yaml" }).registryPath).toBe("/a.yaml");
    expect(load(["--registry", "/b.yaml"], { MODEL_REGISTRY_PATH: "/a.yaml" }).registryPath).toBe("/b.yaml");
  });

  test("a bad environment value that a flag overrides is never parsed", () => {
    expect(load(["--port", "8080"], { PORT: "abc" }).port).toBe(8080);
    expect(configError([], { PORT: "abc" }).message).toContain("PORT");
  });

  test("the last of a repeated single-valued flag wins", () => {
    expect(load(["--port", "1", "--port", "2"]).port).toBe(2);
  });

  test("on/off settings: env words, bare flag, --flag=BOOL and --no-flag", () => {
    expect(load([], { INCLUDE_DEFAULT_MODELS: "false" }).includeDefaultModels).toBe(false);
    expect(load([], { INCLUDE_DEFAULT_MODELS: "0" }).includeDefaultModels).toBe(false);
    expect(load(["--include-default-models"], { INCLUDE_DEFAULT_MODELS: "false" }).includeDefaultModels).toBe(true);
    expect(load(["--include-default-models=false"]).includeDefaultModels).toBe(false);
    expect(load(["--no-include-default-models"]).includeDefaultModels).toBe(false);
    expect(load(["--offline"]).hfOffline).toBe(true);
    expect(load([], { HF_HUB_OFFLINE: "1" }).hfOffline).toBe(true);
  });

  test("sizes and durations take units", () => {
    expect(load([], { MAX_BODY_BYTES: "1mb" }).maxBodyBytes).toBe(1024 * 1024);
    expect(load(["--max-body-bytes", "512k"]).maxBodyBytes).toBe(512 * 1024);
    expect(load([], { DRAIN_TIMEOUT: "2m" }).drainTimeoutMs).toBe(120_000);
    expect(load(["--sse-ping-interval", "500ms"]).ssePingMs).toBe(500);
    expect(load([], { RESPONSES_STORE_TTL: "2h" }).responsesStoreTtlMs).toBe(7_200_000);
  });

  test("words that are not flags are positionals (subcommands)", () => {
    const parsed = loadSettings(["pull", "GPT-2", "--port", "1"], {});
    expect(parsed.positionals).toEqual(["pull", "GPT-2"]);
    expect(parsed.settings.port).toBe(1);
  });
});

describe("lists", () => {
  test('CORS_ALLOW_ORIGINS="https://a.com, https://b.com" is two origins (the seed crashed on this)', () => {
    expect(load([], { CORS_ALLOW_ORIGINS: "https://a.com, https://b.com" }).corsAllowOrigins).toEqual(["https://a.com", "https://b.com"]);
    expect(load(["--cors-allow-origins", "*"]).corsAllowOrigins).toEqual(["*"]);
    expect(load([], { CORS_ALLOW_ORIGINS: " , " }).corsAllowOrigins).toEqual([]);
  });

  test("an origin with a path is refused naming CORS_ALLOW_ORIGINS", () => {
    expect(configError([], { CORS_ALLOW_ORIGINS: "https://a.com/app" }).message).toContain("CORS_ALLOW_ORIGINS");
  });

  test("--api-key repeats and appends; the first flag replaces API_KEYS from the environment", () => {
    expect(load(["--api-key", "k1", "--api-key", "k2"]).apiKeys).toEqual(["k1", "k2"]);
    expect(load([], { API_KEYS: "e1, e2" }).apiKeys).toEqual(["e1", "e2"]);
    expect(load(["--api-key", "k1", "--api-key=k2,k3"], { API_KEYS: "e1" }).apiKeys).toEqual(["k1", "k2", "k3"]);
  });

  test("API_KEYS_FILE adds one key per line, skipping blanks and comments", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gpt3dev-keys-"));
    try {
      const file = path.join(dir, "keys");
      writeFileSync(file, "# keys\nf1\n\n  f2  \n");
      expect(load(["--api-key", "k1"], { API_KEYS_FILE: file }).apiKeys).toEqual(["k1", "f1", "f2"]);
      expect(configError([], { API_KEYS_FILE: path.join(dir, "missing") }).message).toContain("API_KEYS_FILE");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("bad values stop with one line naming the setting", () => {
  const cases: [string, string[], Record<string, string>, string][] = [
    ["PORT=abc", [], { PORT: "abc" }, "PORT"],
    ["PORT out of range", [], { PORT: "70000" }, "PORT"],
    ["--port abc", ["--port", "abc"], {}, "--port"],
    ["--device gpu", ["--device", "gpu"], {}, "--device"],
    ["DEFAULT_DEVICE=gpu", [], { DEFAULT_DEVICE: "gpu" }, "DEFAULT_DEVICE"],
    ["INCLUDE_DEFAULT_MODELS=maybe", [], { INCLUDE_DEFAULT_MODELS: "maybe" }, "INCLUDE_DEFAULT_MODELS"],
    ["MAX_BATCH_SIZE=0", [], { MAX_BATCH_SIZE: "0" }, "MAX_BATCH_SIZE"],
    ["MAX_CONTEXT_TOKENS=lots", [], { MAX_CONTEXT_TOKENS: "lots" }, "MAX_CONTEXT_TOKENS"],
    ["MAX_BODY_BYTES=huge", [], { MAX_BODY_BYTES: "huge" }, "MAX_BODY_BYTES"],
    ["DRAIN_TIMEOUT=soon", [], { DRAIN_TIMEOUT: "soon" }, "DRAIN_TIMEOUT"],
    ["LOG_LEVEL=loud", [], { LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    ["HF_ENDPOINT not a URL", [], { HF_ENDPOINT: "ftp://mirror" }, "HF_ENDPOINT"],
    ["--offline=perhaps", ["--offline=perhaps"], {}, "--offline"],
    ["unknown option", ["--bogus"], {}, "--bogus"],
    ["option without its value", ["--port"], {}, "--port"],
    ["--no- on a valued option", ["--no-port"], {}, "--port"],
  ];
  for (const [name, argv, env, named] of cases) {
    test(name, () => {
      const err = configError(argv, env);
      expect(err.message).toContain(named);
      expect(err.message).not.toContain("\n");
    });
  }
});
