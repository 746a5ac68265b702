/**
 * Starts the real server (`bun run src/index.ts`) as a child process on a free port with the test models'
 * registry, waits for its "listening" line, and gives back its URL, its output and a stop() that always
 * ends it. One server per test file: start it in beforeAll, stop it in afterAll (useServer does both).
 */
import type { Subprocess } from "bun";
import { afterAll, beforeAll } from "bun:test";
import * as path from "node:path";
import OpenAI from "openai";
import { defaultTestModelsDir } from "../../scripts/make-test-models.ts";
import { SETTINGS } from "../../src/config/settings-spec.ts";

const REPO_ROOT = path.resolve(import.meta.dir, "..", "..");
const READY_TIMEOUT_MS = 30_000;
const KILL_GRACE_MS = 5_000;
const LISTENING = /gpt3dev-api listening on (http:\/\/\S+)/;

export interface StartServerOptions {
  /** Extra arguments after the defaults; a flag given here overrides the default one (last wins). */
  args?: string[];
  /** Extra environment variables on top of this process's environment. */
  env?: Record<string, string>;
  /**
   * Replaces the default flags (`--port 0 --host 127.0.0.1 --registry <test registry> --include-default-models=false`),
   * for tests of what those settings do when they come from the environment instead. `args` still follow.
   */
  baseArgs?: string[];
}

export interface TestServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** url + "/v1", what the openai client takes as baseURL. */
  baseURL: string;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Ends the server: SIGTERM, then SIGKILL after 5 s. Safe to call twice. */
  stop(): Promise<void>;
  /** Everything the server printed so far. */
  stdout(): string;
  stderr(): string;
}

export function testRegistryPath(): string {
  return path.join(process.env.TEST_MODELS_DIR || defaultTestModelsDir(), "registry.yaml");
}

/**
 * This process's environment without any of the server's own settings (a PORT or API_KEYS exported in the
 * shell must not change what a test sees), plus the test's variables.
 */
export function serverEnv(extra: Record<string, string> = {}): Record<string, string> {
  const names = new Set(Object.values(SETTINGS).map((s) => s.env));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !names.has(k)) env[k] = v;
  return { ...env, ...extra };
}

/** The server command line with the test defaults first, so later flags override them. */
export function serverArgs(args: string[] = [], baseArgs?: string[]): string[] {
  const base = baseArgs ?? ["--port", "0", "--host", "127.0.0.1", "--registry", testRegistryPath(), "--include-default-models=false"];
  return ["run", "src/index.ts", ...base, ...args];
}

/** Reads a pipe into a growing string until it ends; `onText` sees every new piece. */
function drain(stream: ReadableStream<Uint8Array>, onText: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  return (async () => {
    for await (const chunk of stream) onText(decoder.decode(chunk, { stream: true }));
    onText(decoder.decode());
  })().catch(() => {});
}

export async function startServer(opts: StartServerOptions = {}): Promise<TestServer> {
  const proc = Bun.spawn(["bun", ...serverArgs(opts.args, opts.baseArgs)], {
    cwd: REPO_ROOT,
    env: serverEnv(opts.env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  let err = "";
  let onOut: () => void = () => {};
  const stdoutDone = drain(proc.stdout, (t) => {
    out += t;
    onOut();
  });
  const stderrDone = drain(proc.stderr, (t) => (err += t));

  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), KILL_GRACE_MS);
        await proc.exited;
        clearTimeout(timer);
      }
      await Promise.all([stdoutDone, stderrDone]);
    })();
    return stopped;
  };

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not print its listening line within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`test server ${why}.\nstdout:\n${out}\nstderr:\n${err}`)));
    };
    onOut = () => {
      const m = LISTENING.exec(out);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        onOut = () => {};
        resolve(m[1]!);
      }
    };
    onOut();
    void proc.exited.then((code) => fail(`exited with code ${code} before listening`));
  });

  return { url, baseURL: `${url}/v1`, proc, stop, stdout: () => out, stderr: () => err };
}

/** The official client pointed at a test server; no retries, so every status the server sends is seen. */
export function openaiClient(baseURL: string): OpenAI {
  return new OpenAI({ baseURL, apiKey: "test", maxRetries: 0 });
}

export interface ServerFixture {
  /** The running server; read it inside tests and hooks (it is set once this file's beforeAll has run). */
  readonly server: TestServer;
  /** The official client pointed at it (see openaiClient). */
  readonly client: OpenAI;
}

/**
 * One server for the calling test file (or describe block): registers a beforeAll that starts it and an
 * afterAll that stops it, and gives back getters for it and its client. Call it before the file's own hooks,
 * so they run with the server up (bun runs beforeAll and afterAll hooks in the order they were registered).
 * `opts` may be a function, evaluated in the beforeAll, for options that need set-up first (a temp registry).
 */
export function useServer(opts: StartServerOptions | (() => StartServerOptions | Promise<StartServerOptions>) = {}): ServerFixture {
  let server: TestServer | undefined;
  let client: OpenAI | undefined;
  beforeAll(async () => {
    server = await startServer(typeof opts === "function" ? await opts() : opts);
    client = openaiClient(server.baseURL);
  });
  afterAll(async () => {
    await server?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("useServer: the server is not started yet (read it inside a test or hook)");
    return value;
  };
  return {
    get server() {
      return started(server);
    },
    get client() {
      return started(client);
    },
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the server's command line to its end (for settings that stop it at start, `--help`, …) with only
 * `args` (no test defaults). Killed after 30 s so a server that unexpectedly starts cannot hang a test.
 */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const proc = Bun.spawn(["bun", "run", "src/index.ts", ...args], {
    cwd: REPO_ROOT,
    env: serverEnv(env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), READY_TIMEOUT_MS);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}
