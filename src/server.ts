import type { Settings } from "./config/settings-spec.ts";
import { shutdownGrammarEngines } from "./engine/grammar/grammar-engine-for.ts";
import { hubSettings } from "./engine/hub/hub-settings.ts";
import { ModelPool } from "./engine/model-pool.ts";
import { buildHttp } from "./http/app.ts";
import { shutdownOnSignals } from "./http/lifecycle/graceful-shutdown.ts";
import { discardLimit } from "./http/shared/bounded-body.ts";
import { Logger } from "./observability/logger.ts";
import { loadRegistry } from "./registry/load-registry.ts";

export interface RunningServer {
  url: string;
  pool: ModelPool;
  stop: () => Promise<void>;
}

/** Wires settings → registry → model pool → HTTP front door and routes, listens, and drains on SIGTERM/SIGINT. */
export async function startServer(settings: Settings, env: Record<string, string | undefined>): Promise<RunningServer> {
  const logger = new Logger({ level: settings.logLevel, format: settings.logFormat });
  const specs = loadRegistry(settings);
  const pool = new ModelPool(specs, settings, hubSettings(settings, env));
  const http = buildHttp({ settings, pool }, logger);
  pool.onLoad = (id, ms, model) => {
    http.metrics.loaded(id, ms);
    logger.info("model loaded", { model: id, load_ms: Math.round(ms), device: model.device, placement: model.deviceReason, context: model.contextLength });
  };
  const server = Bun.serve({
    hostname: settings.host,
    port: settings.port,
    fetch: http.fetch,
    // Above MAX_BODY_BYTES on purpose: bodies over the limit are read and dropped so clients get a JSON 413;
    // Bun cuts only what is past this larger bound.
    maxRequestBodySize: discardLimit(settings.maxBodyBytes),
    idleTimeout: 0,
  });
  const url = `http://${settings.host.includes(":") ? `[${settings.host}]` : settings.host}:${server.port}`;
  // Tests and scripts wait for this line to learn the port when PORT=0.
  process.stdout.write(`gpt3dev-api listening on ${url} (${specs.length} models: ${specs.map((s) => s.id).join(", ")})\n`);
  logger.debug("settings", {
    auth: settings.apiKeys.length > 0 ? `${settings.apiKeys.length} keys` : "off",
    cors: settings.corsAllowOrigins.join(",") || "off",
    metrics: settings.metrics,
    max_body_bytes: settings.maxBodyBytes,
    drain_timeout_ms: settings.drainTimeoutMs,
  });
  shutdownOnSignals({
    inFlight: http.inFlight,
    close: () => {
      void server.stop(true);
      shutdownGrammarEngines();
    },
    drainTimeoutMs: settings.drainTimeoutMs,
    logger,
    exit: (code) => process.exit(code),
  });
  return {
    url,
    pool,
    stop: async () => {
      await server.stop(true);
      // The structured-output workers would otherwise keep the process alive.
      shutdownGrammarEngines();
    },
  };
}
