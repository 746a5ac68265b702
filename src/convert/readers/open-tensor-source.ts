/**
 * Finds the weights in a checkpoint folder by their well-known names, in the order the hub prefers them
 * (sharded safetensors, single safetensors, sharded pytorch_model.bin, single pytorch_model.bin), and opens them.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConvertError } from "../convert-error.ts";
import type { TensorSource } from "../tensor-source.ts";
import { PytorchReader } from "./pytorch-reader.ts";
import { SafetensorsReader } from "./safetensors-reader.ts";
import { readShardIndex } from "./shard-index.ts";
import { ShardedSource } from "./sharded-source.ts";

export type WeightsFormat = "safetensors" | "pytorch";

export interface OpenedWeights {
  source: TensorSource;
  format: WeightsFormat;
  /** The files read, relative to the folder (index first, then shards): what a build's identity is made of. */
  files: string[];
}

const LAYOUTS = [
  { format: "safetensors", index: "model.safetensors.index.json", single: "model.safetensors", open: SafetensorsReader.open },
  { format: "pytorch", index: "pytorch_model.bin.index.json", single: "pytorch_model.bin", open: PytorchReader.open },
] as const;

/** The weight layouts in the order they are looked for: an index (then its shards), else the single file. */
export const WEIGHT_LAYOUTS: readonly { format: WeightsFormat; index: string; single: string }[] = LAYOUTS;

/** The weight file names looked for, in order (for messages and for the hub's well-known-name probing). */
export const WEIGHT_FILE_NAMES: readonly string[] = LAYOUTS.flatMap((l) => [l.index, l.single]);

/**
 * The weight files openTensorSource would read, relative to the folder (index first, then its shards), without
 * opening any: what a cached build is keyed by. The index's shard names are checked as they are when opened.
 */
export async function weightFiles(dir: string): Promise<{ format: WeightsFormat; files: string[] } | null> {
  for (const layout of LAYOUTS) {
    if (existsSync(join(dir, layout.index))) {
      const index = await readShardIndex(dir, layout.index);
      return { format: layout.format, files: [layout.index, ...index.shards] };
    }
    if (existsSync(join(dir, layout.single))) return { format: layout.format, files: [layout.single] };
  }
  return null;
}

export async function openTensorSource(dir: string): Promise<OpenedWeights> {
  for (const layout of LAYOUTS) {
    if (existsSync(join(dir, layout.index))) {
      const source = await ShardedSource.open(dir, layout.index, layout.open);
      return { source, format: layout.format, files: [layout.index, ...source.shardFiles] };
    }
    if (existsSync(join(dir, layout.single))) {
      return { source: await layout.open(join(dir, layout.single)), format: layout.format, files: [layout.single] };
    }
  }
  throw new ConvertError("checkpoint_missing", `the folder holds no weights the converter reads (looked for ${WEIGHT_FILE_NAMES.join(", ")})`);
}
