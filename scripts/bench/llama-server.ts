/** llama.cpp's llama-server on one GGUF file, for the side-by-side table: started, waited for, stopped. */
import type { Subprocess } from "bun";

export interface LlamaServer {
  url: string;
  stop(): Promise<void>;
}

/** `slots` parallel sequences, each with room for a 128-token prompt and up to 1024 more (as compare.sh runs it). */
export async function startLlamaServer(bin: string, gguf: string, threads: number, slots: number, port: number): Promise<LlamaServer> {
  const proc: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn(
    [bin, "-m", gguf, "-t", String(threads), "-c", String(1152 * slots), "-np", String(slots), "--host", "127.0.0.1", "--port", String(port), "--no-webui"],
    { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
  );
  let log = "";
  for (const stream of [proc.stdout, proc.stderr]) {
    void (async () => {
      for await (const chunk of stream) log = (log + new TextDecoder().decode(chunk)).slice(-4000);
    })();
  }
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
    await proc.exited;
    clearTimeout(timer);
  };
  for (let i = 0; i < 240; i++) {
    if (proc.exitCode !== null) break;
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) return { url, stop };
    await Bun.sleep(250);
  }
  await stop();
  throw new Error(`llama-server did not become healthy on ${gguf}:\n${log}`);
}
