// `gpt3dev-api healthcheck`: asks the local server for GET /healthz and exits 0 on a 200, 1 otherwise. The
// container image has no curl or shell, so its HEALTHCHECK runs the executable itself with the server's settings.
import { EXIT_UNHEALTHY } from "./exit-codes.ts";

/** Where to reach a server listening on `host`: a wildcard address is reached through loopback. */
export function healthzUrl(host: string, port: number): string {
  const target = host === "" || host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${target.includes(":") ? `[${target}]` : target}:${port}/healthz`;
}

/** Checks once; prints one line on failure; returns the exit code. */
export async function runHealthcheck(host: string, port: number, timeoutMs = 5000): Promise<number> {
  const url = healthzUrl(host, port);
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    if (response.status === 200) return 0;
    process.stderr.write(`gpt3dev-api healthcheck: ${url} answered ${response.status}\n`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`gpt3dev-api healthcheck: ${url}: ${reason}\n`);
  }
  return EXIT_UNHEALTHY;
}
