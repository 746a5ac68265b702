/** Starts the real server (`bun run src/index.ts`) on a free port for the benchmark, and stops it. */
import type { Subprocess } from "bun";
import * as path from "node:path";

const REPO_ROOT = path.resolve(import.meta.dir, "..", "..");
const LISTENING = /gpt3dev-api listening on (http:\/\/\S+)/;

export interface BenchServer {
  url: string;
  stop(): Promise<void>;
}

export async function startBenchServer(registryPath: string, args: string[], env: Record<string, string> = {}): Promise<BenchServer> {
  const proc: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn(
    ["bun", "run", "src/index.ts", "--port", "0", "--host", "127.0.0.1", "--registry", registryPath, "--include-default-models=false", "--log-level", "warn", ...args],
    { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" },
  );
  let out = "";
  let err = "";
  void (async () => {
    for await (const chunk of proc.stderr) err += new TextDecoder().decode(chunk);
  })();
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  const deadline = setTimeout(() => proc.kill("SIGKILL"), 60_000);
  let url: string | null = null;
  while (url === null) {
    const { done, value } = await reader.read();
    if (done) break;
    out += decoder.decode(value, { stream: true });
    url = LISTENING.exec(out)?.[1] ?? null;
  }
  clearTimeout(deadline);
  // keep draining stdout so the server never blocks on a full pipe
  void (async () => {
    while (!(await reader.read()).done);
  })();
  const stop = async () => {
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
    await proc.exited;
    clearTimeout(timer);
  };
  if (url === null) {
    await stop();
    throw new Error(`the server did not start:\n${out}\n${err}`);
  }
  return { url, stop };
}
