import { ConfigError } from "../config/load-settings.ts";
import type { Settings } from "../config/settings-spec.ts";
import { loadRegistry } from "../registry/load-registry.ts";
import type { ModelSpec } from "../registry/registry-entry.ts";
import type { CliOutput } from "./cli-output.ts";

/** The registry, or null after printing why it cannot be read (the caller exits 2). */
export function loadRegistryOrReport(settings: Settings, io: CliOutput): ModelSpec[] | null {
  try {
    return loadRegistry(settings);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`gpt3dev-api: ${err.message}`);
    return null;
  }
}
