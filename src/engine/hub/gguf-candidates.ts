/**
 * Which GGUF model of a repo a quantization names. Model files are the `.gguf` files that are not projectors,
 * importance matrices or draft heads; the shards of a split model (`…-00001-of-00003.gguf`) count as one. A file
 * carries a quantization when the tag appears in its path between separators (`model-Q4_K_M.gguf`,
 * `Q4_K_M/model-00001-of-00002.gguf`), case-insensitively, so Q4_K does not match Q4_K_M.
 */
import { parseSplitName, splitFileName } from "../../convert/gguf/gguf-split.ts";

const NOT_MODELS = ["mmproj", "imatrix", "mtp-", "eagle3-", "dflash-", "dspark-"];

export interface GgufCandidate {
  /** What the user reads: the file, or the first shard and how many there are. */
  label: string;
  /** Every file of it, in shard order. */
  files: string[];
  /** Shards the listing lacks (an incomplete upload). */
  missing: string[];
}

export function ggufCandidates(paths: readonly string[]): GgufCandidate[] {
  const listed = new Set(paths);
  const groups = new Map<string, GgufCandidate>();
  for (const path of paths) {
    if (!/\.gguf$/i.test(path)) continue;
    const slash = path.lastIndexOf("/");
    const dir = path.slice(0, slash + 1);
    const name = path.slice(slash + 1);
    if (NOT_MODELS.some((k) => name.toLowerCase().includes(k))) continue;
    const split = parseSplitName(name);
    if (!split) {
      groups.set(path, { label: path, files: [path], missing: [] });
      continue;
    }
    const key = `${dir}${split.prefix}\0${split.count}`;
    if (groups.has(key)) continue;
    const files = Array.from({ length: split.count }, (_, i) => `${dir}${splitFileName(split.prefix, i + 1, split.count)}`);
    groups.set(key, { label: `${files[0]} (+${split.count - 1} more shards)`, files, missing: files.filter((f) => !listed.has(f)) });
  }
  return [...groups.values()].sort((a, b) => a.label.localeCompare(b.label));
}

export function carriesQuant(candidate: GgufCandidate, quant: string): boolean {
  const first = candidate.files[0]!.replace(/\.gguf$/i, "").replace(/-\d{5}-of-\d{5}$/, "");
  const tag = quant.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[-._/])${tag}($|[-._/])`, "i").test(first);
}
