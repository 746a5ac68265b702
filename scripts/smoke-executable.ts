// `bun run smoke [--probe] [--skip-build] [--registry FILE]`
// Builds dist/gpt3dev-api, copies it alone into an empty temp folder outside the repository (no node_modules
// reachable), and runs it as a user would: --version, unusable cache folders, a cold and warm start to a 200 on
// /healthz, then a completion, a streamed chat, a json_schema chat (the grammar worker inside the binary) and an
// embedding on the test models. Prints the figures the issue sets targets for and exits non-zero on any failure.
// `--probe` builds scripts/build/probe-entry.ts instead of the server (packaging checks only).
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "./build/package-paths.ts";
import { checkEndpoints } from "./smoke/check-endpoints.ts";
import { checkNativeDirFailures } from "./smoke/native-dir-failures.ts";
import { freePort, rssMb, waitFor200 } from "./smoke/run-stats.ts";
import { smokeModels } from "./smoke/test-model-names.ts";

const TARGET_SIZE_MB = 165;
const TARGET_WARM_START_MS = 1000;

const { values } = parseArgs({
  options: {
    probe: { type: "boolean", default: false },
    "skip-build": { type: "boolean", default: false },
    registry: { type: "string", default: join(repoRoot, ".cache", "test-models", "registry.yaml") },
  },
});
const registry = resolve(values.registry);
const failures: string[] = [];
const figures: string[] = [];

function fail(message: string): void {
  failures.push(message);
  console.error(`FAIL ${message}`);
}

function noNodeModulesAbove(dir: string): string | null {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, "node_modules"))) return join(at, "node_modules");
    if (dirname(at) === at) return null;
  }
}

if (!values["skip-build"]) {
  const entry = values.probe ? ["--entry", "scripts/build/probe-entry.ts"] : [];
  const build = Bun.spawnSync([process.execPath, "run", join(repoRoot, "scripts", "build.ts"), ...entry], {
    cwd: repoRoot,
    stdout: "inherit",
    stderr: "inherit",
  });
  if (build.exitCode !== 0) process.exit(1);
}
if (!values.probe && !existsSync(registry)) {
  console.error(`smoke: ${registry} is missing; run \`bun run test-models\` first`);
  process.exit(1);
}

/** The first temp root from which no node_modules is reachable (a /tmp/node_modules link would defeat the test). */
const tempRoot = [tmpdir(), "/var/tmp"].find((dir) => existsSync(dir) && noNodeModulesAbove(dir) === null) ?? tmpdir();
const work = mkdtempSync(join(tempRoot, "gpt3dev-smoke-"));
const exe = join(work, "bin", "gpt3dev-api");
mkdirSync(dirname(exe));
mkdirSync(join(work, "tmp"));
copyFileSync(join(repoRoot, "dist", "gpt3dev-api"), exe);
chmodSync(exe, 0o755);
const reachable = noNodeModulesAbove(dirname(exe));
const baseEnv: Record<string, string> = {
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: join(work, "home"),
  XDG_CACHE_HOME: join(work, "cache"),
  TMPDIR: join(work, "tmp"),
  ENABLE_EMBEDDINGS_BACKEND: "true",
};
let running: Bun.Subprocess | null = null;

function serverArgs(port: number): string[] {
  return values.probe ? ["--serve", "--port", String(port)] : ["--host", "127.0.0.1", "--port", String(port), "--registry", registry];
}

function logTail(log: string): string {
  return existsSync(log) ? readFileSync(log, "utf8").split("\n").slice(-20).join("\n") : "";
}

/** Starts the executable, waits for /healthz, returns the time it took; the process stays in `running`. */
async function start(label: string, env: Record<string, string> = baseEnv): Promise<{ ms: number; port: number; pid: number }> {
  const port = await freePort();
  const log = join(work, `${label}.log`);
  const startedAt = performance.now();
  const child = Bun.spawn([exe, ...serverArgs(port)], { cwd: work, env, stdout: Bun.file(log), stderr: Bun.file(`${log}.err`) });
  running = child;
  try {
    const ms = await waitFor200(`http://127.0.0.1:${port}/healthz`, startedAt, 60_000, () => child.exitCode === null && child.signalCode === null);
    return { ms, port, pid: child.pid };
  } catch (error) {
    throw new Error(`${label}: ${error instanceof Error ? error.message : String(error)}\n${logTail(log)}\n${logTail(`${log}.err`)}`);
  }
}

async function stop(): Promise<void> {
  const child = running;
  running = null;
  if (child === null || child.exitCode !== null) return;
  child.kill("SIGTERM");
  const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(10_000).then(() => false)]);
  if (!exited) {
    child.kill("SIGKILL");
    await child.exited;
    fail("the server did not stop within 10 s of SIGTERM");
  }
}

try {
  if (reachable) fail(`a node_modules folder is reachable from the test folder: ${reachable}`);

  const sizeMb = statSync(exe).size / 1e6;
  figures.push(`file size        ${sizeMb.toFixed(1)} MB (target ≤ ${TARGET_SIZE_MB} MB)`);
  if (sizeMb > TARGET_SIZE_MB) fail(`executable is ${sizeMb.toFixed(1)} MB, over ${TARGET_SIZE_MB} MB`);

  const version = Bun.spawnSync([exe, "--version"], { cwd: work, env: baseEnv });
  const versionLine = version.stdout.toString().trim();
  if (version.exitCode !== 0 || !/^gpt3dev-api \S+ \(commit \S+\)$/.test(versionLine)) {
    fail(`--version: exit ${version.exitCode}, output ${JSON.stringify(versionLine)}`);
  } else {
    console.log(`--version: ${versionLine}`);
  }
  if (!values.probe) {
    const help = Bun.spawnSync([exe, "--help"], { cwd: work, env: baseEnv });
    if (help.exitCode !== 0 || !help.stdout.toString().includes("--port")) fail(`--help: exit ${help.exitCode}, no --port in it`);
  }

  // An unusable native cache folder: one line on stderr, exit code 3, before anything else.
  for (const result of checkNativeDirFailures(exe, serverArgs(await freePort()), work, baseEnv)) {
    if (result.ok) console.log(`unusable native folder (${result.label}): exit 3, "${result.detail}"`);
    else fail(`unusable native folder (${result.label}): ${result.detail}`);
  }

  // A cache folder of its own, so this start really extracts (the --version run above already filled baseEnv's).
  const cold = await start("cold", { ...baseEnv, XDG_CACHE_HOME: join(work, "cache-cold") });
  figures.push(`exec → /healthz  ${cold.ms.toFixed(0)} ms cold (first start, extracts onnxruntime)`);
  await stop();

  const warmTimes: number[] = [];
  let warmRun = await start("warm-0");
  warmTimes.push(warmRun.ms);
  for (let i = 1; i < 3; i++) {
    await stop();
    warmRun = await start(`warm-${i}`);
    warmTimes.push(warmRun.ms);
  }
  const warm = Math.min(...warmTimes);
  figures.push(`exec → /healthz  ${warm.toFixed(0)} ms warm (best of ${warmTimes.map((t) => t.toFixed(0)).join(", ")}; target ≤ ${TARGET_WARM_START_MS} ms)`);
  if (warm > TARGET_WARM_START_MS) fail(`warm start took ${warm.toFixed(0)} ms, over ${TARGET_WARM_START_MS} ms`);

  await Bun.sleep(500);
  figures.push(`RSS idle         ${rssMb(warmRun.pid).toFixed(0)} MB (after start)`);
  if (!values.probe) {
    const baseUrl = `http://127.0.0.1:${warmRun.port}`;
    for (const line of await checkEndpoints(baseUrl, smokeModels(registry))) console.log(line);
    await Bun.sleep(500);
    figures.push(`RSS idle         ${rssMb(warmRun.pid).toFixed(0)} MB (after the four requests, models loaded)`);
  }
  await stop();
  const leftovers = readdirSync(join(work, "tmp"));
  // onnxruntime's telemetry files (.ses, mat-debug-<pid>.log) mean ORT_DISABLE_TELEMETRY did not reach it.
  if (leftovers.length > 0) fail(`files left in TMPDIR: ${leftovers.join(", ")}`);
  if (existsSync(join(work, "cache", "Microsoft"))) fail("onnxruntime wrote telemetry state to $XDG_CACHE_HOME/Microsoft");
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
} finally {
  await stop();
  rmSync(work, { recursive: true, force: true });
}

console.log(`\nsmoke (${values.probe ? "probe entry" : "server"}):\n  ${figures.join("\n  ")}`);
if (failures.length > 0) {
  console.error(`\nsmoke: ${failures.length} failure(s)`);
  process.exit(1);
}
console.log("smoke: ok");
