/**
 * A repo's model files, found by their well-known names through `resolve` URLs (which every mirror serves, unlike
 * the listing API) and downloaded as they are found: config, tokenizer, then an ONNX export for the dtype (the
 * Optimum / transformers.js layout) or else a checkpoint's weights — the sharded safetensors index and its shards,
 * model.safetensors, the pytorch_model.bin index and its shards, pytorch_model.bin — in the order the hub prefers.
 */
import { readShardIndex } from "../../convert/readers/shard-index.ts";
import { WEIGHT_FILE_NAMES, WEIGHT_LAYOUTS } from "../../convert/readers/open-tensor-source.ts";
import { join } from "node:path";
import type { DownloadKind, MarkerFile } from "./completion-marker.ts";
import { downloadFile, type DownloadContext } from "./download-file.ts";
import { hubNoModel, hubNotFound } from "./hub-errors.ts";
import type { HubModelRequest } from "./hub-types.ts";
import { onnxExternalDataName, onnxFileName } from "./onnx-file-name.ts";
import { CONFIG_FILES, FAST_TOKENIZER_FILE, SLOW_TOKENIZER_FILES, TOKENIZER_SETTINGS_FILES, type RepoFile } from "./repo-file-list.ts";

export interface RepoDownload {
  kind: DownloadKind;
  /** Every file asked for, in order: saved ones with size and hash, absent optional ones with size null. */
  files: MarkerFile[];
  commit: string | null;
  bytes: number;
}

/** Downloads files into `dir`, remembering what each request found. */
export class FileFetcher {
  readonly files: MarkerFile[] = [];
  commit: string | null = null;
  bytes = 0;

  constructor(
    private readonly ctx: DownloadContext,
    private readonly dir: string,
  ) {}

  /** True when the file was saved, false when the hub does not have it (optional files only). */
  async get(file: RepoFile): Promise<boolean> {
    const result = await downloadFile(this.ctx, file, join(this.dir, file.path));
    if (result.kind === "absent") {
      this.files.push({ path: file.path, size: null });
      return false;
    }
    this.files.push({ path: file.path, size: result.size, sha256: result.sha256 });
    this.commit ??= result.commit;
    this.bytes += result.size;
    return true;
  }

  result(kind: DownloadKind): RepoDownload {
    return { kind, files: this.files, commit: this.commit, bytes: this.bytes };
  }
}

export async function downloadRepo(ctx: DownloadContext, req: HubModelRequest, dir: string): Promise<RepoDownload> {
  const fetcher = new FileFetcher(ctx, dir);
  const optional = (path: string) => fetcher.get({ path, required: false });
  for (const file of CONFIG_FILES) await fetcher.get(file);

  const fast = await optional(FAST_TOKENIZER_FILE);
  let slow = false;
  if (!fast) {
    const [vocab, merges] = [await optional(SLOW_TOKENIZER_FILES[0]!), await optional(SLOW_TOKENIZER_FILES[1]!)];
    slow = vocab && merges;
    if (slow) for (const path of SLOW_TOKENIZER_FILES.slice(2)) await optional(path);
  }
  for (const path of TOKENIZER_SETTINGS_FILES) await optional(path);
  if (!fast && !slow) throw hubNotFound(req.repo, req.revision, `${FAST_TOKENIZER_FILE} (nor vocab.json + merges.txt)`, "");

  const graph = onnxFileName(req.dtype);
  if (await optional(graph)) {
    await optional(onnxExternalDataName(req.dtype));
    return fetcher.result("onnx");
  }
  // The converter builds decoders; an embeddings model must come as an export.
  if (req.task === "embeddings") throw hubNotFound(req.repo, req.revision, graph, "");
  for (const layout of WEIGHT_LAYOUTS) {
    if (await optional(layout.index)) {
      // Shard names come from the repo: each is checked (a plain file name) before any is asked for.
      const index = await readShardIndex(dir, layout.index);
      for (const shard of index.shards) await fetcher.get({ path: shard, required: true });
      return fetcher.result("checkpoint");
    }
    if (await optional(layout.single)) return fetcher.result("checkpoint");
  }
  throw hubNoModel(req.repo, req.revision, req.dtype, graph, WEIGHT_FILE_NAMES);
}
