/** Starts the real server (bun run src/index.ts) on a free port and waits for its "listening" line. */
import type { Subprocess } from "bun";
import * as path from "node:path";

const REPO_ROOT = path.resolve(import.meta.dir, "..", "..");
const LISTENING = /gpt3dev-api listening on (http:\/\/\S+)/;

export interface SoakServer {
  url: string;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** SIGTERM (the drain path), then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  stderr(): string;
}

export async function spawnServer(registryPath: string, extraArgs: string[] = []): Promise<SoakServer> {
  const proc = Bun.spawn(
    ["bun", "run", "src/index.ts", "--port", "0", "--host", "127.0.0.1", "--registry", registryPath, "--include-default-models=false", "--enable-embeddings-backend", "--log-level", "warn", ...extraArgs],
    { cwd: REPO_ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe" },
  );
  let err = "";
  void (async () => {
    const d = new TextDecoder();
    for await (const chunk of proc.stderr) err += d.decode(chunk, { stream: true });
  })();
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${out}\n${err}`)), 30_000);
    void (async () => {
      const d = new TextDecoder();
      for await (const chunk of proc.stdout) {
        out += d.decode(chunk, { stream: true });
        const m = LISTENING.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      }
    })();
    void proc.exited.then((code) => reject(new Error(`server exited with ${code} before listening:\n${err}`)));
  });
  return {
    url,
    proc,
    stderr: () => err,
    stop: async (graceMs = 30_000) => {
      if (proc.exitCode === null) {
        proc.kill("SIGTERM");
        const t = setTimeout(() => proc.kill("SIGKILL"), graceMs);
        await proc.exited;
        clearTimeout(t);
      }
      return proc.exitCode;
    },
  };
}

/** VmRSS of a process from /proc (Linux), in bytes; null where /proc is not there. */
export async function rssOf(pid: number): Promise<number | null> {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(await Bun.file(`/proc/${pid}/status`).text());
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
