import type { Settings } from "./config/settings-spec.ts";
import { ModelPool, modelCacheDir } from "./engine/model-pool.ts";
import { buildApp } from "./http/app.ts";
import { loadRegistry } from "./registry/load-registry.ts";

export interface RunningServer {
  url: string;
  pool: ModelPool;
  stop: () => Promise<void>;
}

/** Wires settings → registry → model pool → HTTP app, and listens. */
export async function startServer(settings: Settings, env: Record<string, string | undefined>): Promise<RunningServer> {
  const specs = loadRegistry(settings);
  const pool = new ModelPool(specs, settings, {
    endpoint: settings.hfEndpoint,
    token: settings.hfToken,
    offline: settings.hfOffline,
    cacheDir: modelCacheDir(settings, env),
  });
  const app = buildApp({ settings, pool });
  app.listen({ hostname: settings.host, port: settings.port, maxRequestBodySize: settings.maxBodyBytes + 1024, idleTimeout: 0 });
  const server = app.server!;
  const url = `http://${settings.host.includes(":") ? `[${settings.host}]` : settings.host}:${server.port}`;
  // Tests and scripts wait for this line to learn the port when PORT=0.
  process.stdout.write(`gpt3dev-api listening on ${url} (${specs.length} models: ${specs.map((s) => s.id).join(", ")})\n`);
  let stopping = false;
  const onSignal = async () => {
    if (stopping) process.exit(0); // a second signal: exit at once
    stopping = true;
    await server.stop(false);
    process.exit(0);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return { url, pool, stop: async () => void (await server.stop(true)) };
}
