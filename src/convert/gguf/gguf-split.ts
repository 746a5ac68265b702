/**
 * Split GGUF models, as llama.cpp's gguf-split (and gguf-py's writer) write them: `NAME-00001-of-00003.gguf` …,
 * each shard a complete GGUF file holding some of the tensors; the first carries all the model's metadata; every
 * shard says `split.no` (0-based), `split.count` and `split.tensors.count` (the total over all shards).
 */
import { basename, dirname, join } from "node:path";
import { ConvertError } from "../convert-error.ts";
import { GgufFile } from "./gguf-file.ts";

const SPLIT_NAME = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/;

export interface SplitName {
  prefix: string;
  /** 1-based, as in the name. */
  index: number;
  count: number;
}

export function parseSplitName(name: string): SplitName | null {
  const m = SPLIT_NAME.exec(name);
  if (!m) return null;
  const index = Number(m[2]);
  const count = Number(m[3]);
  if (index < 1 || count < 1 || index > count) return null;
  return { prefix: m[1]!, index, count };
}

export function splitFileName(prefix: string, index: number, count: number): string {
  return `${prefix}-${String(index).padStart(5, "0")}-of-${String(count).padStart(5, "0")}.gguf`;
}

/** Every shard of the model `path` belongs to, in order (just `[path]` when it is not a split name). */
export function ggufShardPaths(path: string): string[] {
  const split = parseSplitName(basename(path));
  if (!split) return [path];
  const dir = dirname(path);
  return Array.from({ length: split.count }, (_, i) => join(dir, splitFileName(split.prefix, i + 1, split.count)));
}

/** Opens the shards of one model and checks they belong together; closes what it opened when they do not. */
export function openGgufShards(paths: readonly string[]): GgufFile[] {
  const files: GgufFile[] = [];
  try {
    for (const p of paths) files.push(GgufFile.open(p));
    checkShards(files);
    return files;
  } catch (e) {
    for (const f of files) f.close();
    throw e;
  }
}

function checkShards(files: readonly GgufFile[]): void {
  const first = files[0];
  if (!first) throw new ConvertError("checkpoint_missing", "no GGUF file given");
  const meta = first.header.metadata;
  const declared = meta.count("split.count") ?? 1;
  if (declared === 0 && files.length === 1) return; // gguf-split writes 0 while merging; treat as unsplit
  if (declared !== files.length) {
    throw new ConvertError(
      "checkpoint_invalid",
      `${first.name}: split.count says ${declared} shard${declared === 1 ? "" : "s"}, ${files.length} given (${files.map((f) => f.name).join(", ")})`,
      first.name,
    );
  }
  if (files.length === 1) return;
  let tensors = 0;
  const names = new Set<string>();
  files.forEach((f, i) => {
    const m = f.header.metadata;
    const no = m.count("split.no");
    if (no !== i) throw new ConvertError("checkpoint_invalid", `${f.name}: split.no is ${no ?? "missing"}, expected ${i} for shard ${i + 1} of ${files.length}`, f.name);
    const count = m.count("split.count");
    if (count !== files.length) throw new ConvertError("checkpoint_invalid", `${f.name}: split.count is ${count ?? "missing"}, expected ${files.length}`, f.name);
    for (const t of f.header.tensors) {
      if (names.has(t.name)) throw new ConvertError("checkpoint_invalid", `${f.name}: tensor ${t.name} is also in an earlier shard`, f.name);
      names.add(t.name);
    }
    tensors += f.header.tensors.length;
  });
  const total = meta.count("split.tensors.count");
  if (total !== undefined && total !== tensors) {
    throw new ConvertError("checkpoint_invalid", `${first.name}: split.tensors.count is ${total}, the ${files.length} shards hold ${tensors}`, first.name);
  }
}
