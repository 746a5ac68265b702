/**
 * `model.safetensors.index.json` / `pytorch_model.bin.index.json`: which shard file holds each tensor. The file
 * names come from an untrusted repo, so each must be a plain base name inside the checkpoint folder.
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { ConvertError } from "../convert-error.ts";

const MAX_INDEX_BYTES = 64 << 20;
const MAX_SHARDS = 4096;

export interface ShardIndex {
  /** Distinct shard file names, in first-mention order. */
  shards: string[];
  /** Tensor name → shard file name. */
  weightMap: Map<string, string>;
}

export async function readShardIndex(dir: string, indexName: string): Promise<ShardIndex> {
  const invalid = (p: string) => new ConvertError("checkpoint_invalid", `${indexName}: ${p}`, indexName);
  const path = join(dir, indexName);
  const size = (await stat(path)).size;
  if (size > MAX_INDEX_BYTES) throw invalid(`${size} bytes is more than an index can reasonably be`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw invalid(`is not valid JSON (${(err as Error).message})`);
  }
  const weightMap = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) throw invalid("has no weight_map object");

  const map = new Map<string, string>();
  const shards: string[] = [];
  for (const [tensor, file] of Object.entries(weightMap)) {
    if (typeof file !== "string") throw invalid(`weight_map entry ${tensor} is not a file name`);
    checkShardName(file, indexName);
    if (!map.has(tensor)) map.set(tensor, file);
    if (!shards.includes(file)) {
      shards.push(file);
      if (shards.length > MAX_SHARDS) throw invalid(`names more than ${MAX_SHARDS} shard files`);
    }
  }
  if (map.size === 0) throw invalid("weight_map is empty");
  return { shards, weightMap: map };
}

/** A shard file name must be a plain base name: no directory part, no `..`, no absolute path. */
export function checkShardName(file: string, indexName: string): void {
  const bad = file.length === 0 || file.length > 255 || file === "." || file.includes("..") || /[/\\\0]/.test(file) || /^[A-Za-z]:/.test(file);
  if (bad) {
    throw new ConvertError(
      "checkpoint_invalid",
      `${indexName}: weight_map names the file ${JSON.stringify(file.slice(0, 120))}, which is not a plain file name inside the model folder`,
      indexName,
    );
  }
}
