/**
 * The compiled executable downloads through the hub into the user cache (~/.cache/gpt3dev-api/models), not into
 * its own virtual file system or the working folder. Builds the executable (a few seconds) into a temp folder
 * outside the repo; SKIP_EXECUTABLE_TESTS=1 skips it.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { SETTINGS } from "../../src/config/settings-spec.ts";
import { GPT2_REPO, ONNX, removeTempDirs, startTestHub, tempDir, SLOW_MS } from "./hub-test-kit.ts";

const REPO_ROOT = resolve(import.meta.dir, "..", "..");
const skip = process.env.SKIP_EXECUTABLE_TESTS === "1";

afterAll(removeTempDirs);

/** This environment without the server's own settings (an exported PORT must not leak in), plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const names = new Set<string>(Object.values(SETTINGS).map((s) => s.env));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !names.has(k)) env[k] = v;
  return { ...env, ...extra };
}

async function run(cmd: string[], opts: { cwd: string; env: Record<string, string> }): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn(cmd, { ...opts, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 120_000);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, out, err };
}

test.skipIf(skip)("the executable downloads into ~/.cache/gpt3dev-api/models and serves from there", async () => {
  const work = tempDir("hub-exe-");
  const exe = join(work, "bin", "gpt3dev-api");
  const build = await run(["bun", "run", "scripts/build.ts", "--outfile", exe], { cwd: REPO_ROOT, env: cleanEnv() });
  expect(build.code).toBe(0);

  const hub = await startTestHub({ token: "hf_exe" });
  const home = join(work, "home");
  const cwd = join(work, "cwd");
  mkdirSync(home);
  mkdirSync(cwd);
  const registry = join(work, "registry.yaml");
  writeFileSync(registry, stringify([{ name: "hub-gpt2", hf_repo: GPT2_REPO, device: "cpu" }]));
  // No MODEL_CACHE_DIR, HF_HOME or XDG_CACHE_HOME: the default user cache under $HOME is what is tested.
  const env = cleanEnv({ HOME: home, HF_ENDPOINT: hub.url, HF_TOKEN: "hf_exe" });
  for (const k of ["MODEL_CACHE_DIR", "HF_HOME", "XDG_CACHE_HOME", "GPT3DEV_NATIVE_DIR"]) delete env[k];

  const proc = Bun.spawn([exe, "--port", "0", "--host", "127.0.0.1", "--registry", registry, "--include-default-models=false"], {
    cwd,
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  try {
    let out = "";
    const reader = proc.stdout.getReader();
    const decoder = new TextDecoder();
    while (!/listening on (http:\/\/\S+)/.test(out)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`executable exited before listening: ${out}`);
      out += decoder.decode(value);
    }
    const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
    const res = await fetch(`${url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "hub-gpt2", prompt: "Hello", max_tokens: 3 }),
    });
    expect(res.status).toBe(200);
    const dir = join(home, ".cache", "gpt3dev-api", "models", "test--test-gpt2", "main");
    expect(existsSync(join(dir, ONNX))).toBe(true);
    expect(existsSync(join(dir, ".gpt3dev-complete-fp32.json"))).toBe(true);
    expect(readdirSync(cwd)).toEqual([]);
    expect(hub.gets(`${GPT2_REPO}/${ONNX}`)).toBe(1);

    // Offline with an empty cache, the executable's advice names its own subcommand (not `bun run pull`).
    const freshHome = join(work, "fresh-home");
    mkdirSync(freshHome);
    const offline = await run([exe, "--offline", "--registry", registry, "--include-default-models=false", "pull", "hub-gpt2"], {
      cwd,
      env: { ...env, HOME: freshHome },
    });
    expect(offline.code).toBe(1);
    expect(offline.err).toContain("Run 'gpt3dev-api pull MODEL'");
    expect(offline.err).not.toContain("bun run pull");
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
    await hub.stop();
  }
}, SLOW_MS);
