import { existsSync } from "node:fs";
import type { Settings } from "../config/settings-spec.ts";
import { cachedHubModelDir } from "../engine/hub/hub-cache-status.ts";
import { hubSettings } from "../engine/hub/hub-settings.ts";
import type { ModelSpec } from "../registry/registry-entry.ts";
import { EXIT_OK, EXIT_USAGE, stdio, type CliOutput } from "./cli-output.ts";
import { loadRegistryOrReport } from "./load-registry-or-report.ts";
import { formatTable } from "./format-table.ts";

/**
 * `gpt3dev-api list`: the registry as a table with what is cached. Reads only the disk (never the network), so it
 * answers the same offline.
 */
export async function runList(settings: Settings, env: Record<string, string | undefined>, io: CliOutput = stdio): Promise<number> {
  const specs = loadRegistryOrReport(settings, io);
  if (!specs) return EXIT_USAGE;
  const { cacheDir } = hubSettings(settings, env);
  const rows = specs.map((s) => [s.id, sourceLabel(s), s.task, s.dtype, cachedLabel(s, cacheDir)]);
  for (const line of formatTable(["ID", "SOURCE", "TASK", "DTYPE", "CACHED"], rows)) io.out(line);
  io.out("");
  io.out(`Model cache: ${cacheDir}`);
  return EXIT_OK;
}

function sourceLabel(spec: ModelSpec): string {
  if (spec.source.kind === "local") return `path:${spec.source.path}`;
  const { repo, revision, gguf } = spec.source;
  const which = gguf ? ("file" in gguf ? `/${gguf.file}` : `:${gguf.quant}`) : "";
  return `hf:${repo}${which}@${revision}`;
}

/** yes / no for hub models; local for `path` entries (flagged when the folder is gone). */
function cachedLabel(spec: ModelSpec, cacheDir: string): string {
  if (spec.source.kind === "local") return existsSync(spec.source.path) ? "local" : "local (missing)";
  return cachedHubModelDir({ repo: spec.source.repo, revision: spec.source.revision, dtype: spec.dtype, task: spec.task, gguf: spec.source.gguf }, cacheDir) ? "yes" : "no";
}
