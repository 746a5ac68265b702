/**
 * A checkpoint folder (config.json + safetensors or pytorch_model.bin weights) opened as a DecoderCheckpoint: the
 * config decides the architecture, the stored tensors are mapped onto logical weights and checked against it.
 * Only headers are read here; weights are read one at a time when the graph writer loads them.
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { CONFIG_FILE } from "./architectures/config-fields.ts";
import { selectRecipe } from "./architectures/select-recipe.ts";
import { StoredWeights } from "./architectures/stored-weights.ts";
import { ConvertError } from "./convert-error.ts";
import type { DecoderCheckpoint } from "./decoder-architecture.ts";
import { checkDecoderWeights } from "./decoder-weight-shapes.ts";
import { openTensorSource, type WeightsFormat } from "./readers/open-tensor-source.ts";

const MAX_CONFIG_BYTES = 4 << 20;

export interface OpenedCheckpoint extends DecoderCheckpoint {
  format: WeightsFormat;
  /** Files the checkpoint was read from, relative to its folder (config.json, index, shards). */
  files: string[];
}

export async function readConfigJson(dir: string): Promise<Record<string, unknown>> {
  const path = join(dir, CONFIG_FILE);
  const invalid = (p: string) => new ConvertError("checkpoint_invalid", `${CONFIG_FILE}: ${p}`, CONFIG_FILE);
  const size = await stat(path).then(
    (s) => s.size,
    () => {
      throw new ConvertError("checkpoint_missing", `the folder has no ${CONFIG_FILE}`, CONFIG_FILE);
    },
  );
  if (size > MAX_CONFIG_BYTES) throw invalid(`${size} bytes is more than a config can reasonably be`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw invalid(`is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw invalid("is not a JSON object");
  return json as Record<string, unknown>;
}

export async function openCheckpoint(dir: string): Promise<OpenedCheckpoint> {
  const config = await readConfigJson(dir);
  const recipe = selectRecipe(config); // an unsupported architecture fails before any weight file is opened
  const { source, format, files } = await openTensorSource(dir);
  try {
    const { architecture, weights } = recipe.read(config, new StoredWeights(source, String(config.model_type ?? recipe.label)));
    checkDecoderWeights(architecture, weights);
    return { architecture, weights, format, files: [CONFIG_FILE, ...files], close: () => source.close() };
  } catch (err) {
    await source.close();
    throw err;
  }
}
