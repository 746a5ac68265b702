import { existsSync } from "node:fs";
import type { Settings } from "../config/settings-spec.ts";
import { hubSettings } from "../engine/hub/hub-settings.ts";
import type { HubSettings } from "../engine/hub/hub-types.ts";
import { readModelConfig } from "../engine/model-config.ts";
import { resolveModelFiles } from "../engine/model-files.ts";
import { commandFor } from "../platform/invocation.ts";
import type { ModelSpec } from "../registry/registry-entry.ts";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, stdio, type CliOutput } from "./cli-output.ts";
import { loadRegistryOrReport } from "./load-registry-or-report.ts";

/**
 * `gpt3dev-api pull MODEL…`: downloads registry models into the cache ahead of time (for an image build, or before
 * going offline), builds the graph of a checkpoint, then checks each one's config the way a load would, so a model
 * the server would refuse fails here rather than on the first request. Exit 0 all ready, 1 some failed, 2 unknown ids or a bad registry.
 */
export async function runPull(
  modelIds: string[],
  settings: Settings,
  env: Record<string, string | undefined>,
  io: CliOutput = stdio,
): Promise<number> {
  if (modelIds.length === 0) {
    io.err(`gpt3dev-api pull: name at least one model, e.g. '${commandFor("pull")} GPT-2' ('${commandFor("list")}' shows the registry)`);
    return EXIT_USAGE;
  }
  const specs = loadRegistryOrReport(settings, io);
  if (!specs) return EXIT_USAGE;
  const byId = new Map(specs.map((s) => [s.id, s]));
  const unknown = modelIds.filter((id) => !byId.has(id));
  if (unknown.length > 0) {
    // Checked before any download, so a typo does not cost a long download of the other names first.
    for (const id of unknown) io.err(`gpt3dev-api pull: unknown model '${id}': not in the registry ('${commandFor("list")}' shows it)`);
    return EXIT_USAGE;
  }
  const hub = hubSettings(settings, env);
  let failed = 0;
  for (const id of new Set(modelIds)) {
    if (!(await pullOne(byId.get(id)!, hub, io))) failed++;
  }
  return failed > 0 ? EXIT_FAILED : EXIT_OK;
}

async function pullOne(spec: ModelSpec, hub: HubSettings, io: CliOutput): Promise<boolean> {
  if (spec.source.kind === "local") {
    const present = existsSync(spec.source.path);
    io.out(`${spec.id}: local model at ${spec.source.path}${present ? "" : " (folder missing!)"}; nothing to pull`);
    return present;
  }
  const { repo, revision } = spec.source;
  try {
    const files = await resolveModelFiles(spec, hub, { log: io.err });
    await readModelConfig(files.dir, spec, files.origin);
    const built = files.origin === "built" ? `, built from its ${files.about.format === "gguf" ? "GGUF file" : `${files.about.format} checkpoint`}` : "";
    io.out(`${spec.id}: ready (${repo}@${revision}, ${spec.dtype}${built}) in ${files.dir}`);
    return true;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.err(`${spec.id}: ${message}`);
    return false;
  }
}
