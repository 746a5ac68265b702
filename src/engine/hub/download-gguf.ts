/**
 * One GGUF model of a repo: the file the entry names (every shard, when it names one of a split model), or the
 * one model the hub's listing shows carrying the quantization asked for. Nothing else of the repo is fetched: a
 * GGUF file holds its tokenizer and template too.
 */
import { basename } from "node:path";
import { parseSplitName, splitFileName } from "../../convert/gguf/gguf-split.ts";
import type { GgufSelection } from "../../registry/registry-entry.ts";
import type { DownloadContext } from "./download-file.ts";
import { FileFetcher, type RepoDownload } from "./download-repo.ts";
import { carriesQuant, ggufCandidates } from "./gguf-candidates.ts";
import { ggufQuantAmbiguous, ggufQuantNotFound, hubBadResponse, hubListingUnavailable } from "./hub-errors.ts";
import { repoListing } from "./repo-listing.ts";

export async function downloadGguf(ctx: DownloadContext, selection: GgufSelection, dir: string): Promise<RepoDownload> {
  const files = "file" in selection ? shardsOf(selection.file) : await pickByQuant(ctx, selection.quant);
  // Listed names come from the hub: each must stay inside the model's folder.
  for (const f of files) if (!isRepoPath(f)) throw hubBadResponse(ctx.endpoint, ctx.repo, f, "a file name outside the repo");
  const fetcher = new FileFetcher(ctx, dir);
  for (const path of files) await fetcher.get({ path, required: true });
  return fetcher.result("gguf");
}

/** `dir/name-00001-of-00003.gguf` → all three shards; any other name → itself. */
function shardsOf(file: string): string[] {
  const split = parseSplitName(basename(file));
  if (!split) return [file];
  const dir = file.slice(0, file.length - basename(file).length);
  return Array.from({ length: split.count }, (_, i) => `${dir}${splitFileName(split.prefix, i + 1, split.count)}`);
}

async function pickByQuant(ctx: DownloadContext, quant: string): Promise<string[]> {
  const listing = await repoListing(ctx);
  if (listing.absentBecause) throw hubListingUnavailable(ctx.endpoint, ctx.repo, ctx.revision, quant, listing.absentBecause);
  const candidates = ggufCandidates(listing.files);
  const matches = candidates.filter((c) => carriesQuant(c, quant));
  if (matches.length === 0) throw ggufQuantNotFound(ctx.repo, ctx.revision, quant, candidates.map((c) => c.label));
  if (matches.length > 1) throw ggufQuantAmbiguous(ctx.repo, ctx.revision, quant, matches.map((c) => c.label));
  const [only] = matches;
  if (only!.missing.length) throw hubBadResponse(ctx.endpoint, ctx.repo, only!.label, `a split model whose listing lacks ${only!.missing.join(", ")}`);
  return only!.files;
}

function isRepoPath(path: string): boolean {
  return path.length > 0 && path.length < 1000 && !path.startsWith("/") && !/[\\\0]/.test(path) && !path.split("/").some((p) => p === "" || p === "." || p === "..");
}
