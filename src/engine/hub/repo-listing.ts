/**
 * The files of a repo revision from the hub's listing API, for picking a GGUF file by quantization: the tree
 * (`GET /api/models/{repo}/tree/{revision}?recursive=true`, paged through its Link header), else the model info's
 * `siblings` (`GET /api/models/{repo}/revision/{revision}`), which some mirrors serve instead. Null when the hub
 * serves neither (many mirrors list nothing; resolve URLs are all they proxy).
 */
import { hubBadResponse, hubUnauthorized, hubUnreachable } from "./hub-errors.ts";
import { hubGet } from "./hub-request.ts";
import { IdleWatchdog } from "./idle-watchdog.ts";
import { networkFailureReason } from "./network-error.ts";
import type { DownloadContext } from "./download-file.ts";

const MAX_LISTING_BYTES = 32 << 20;
const MAX_PAGES = 100;
const MAX_FILES = 200_000;

export interface RepoListing {
  files: string[];
  /** Why there is none, for the message: the statuses the hub answered. */
  absentBecause: string | null;
}

export async function repoListing(ctx: DownloadContext): Promise<RepoListing> {
  const base = `${ctx.endpoint.replace(/\/+$/, "")}/api/models/${ctx.repo.split("/").map(encodeURIComponent).join("/")}`;
  const revision = encodeURIComponent(ctx.revision);
  const tree = await listTree(ctx, `${base}/tree/${revision}?recursive=true`);
  if (Array.isArray(tree)) return { files: tree, absentBecause: null };
  const info = await getJson(ctx, `${base}/revision/${revision}`, "model info");
  if (info.kind === "json") {
    const siblings = (info.value as { siblings?: unknown } | null)?.siblings;
    if (!Array.isArray(siblings)) throw hubBadResponse(ctx.endpoint, ctx.repo, "the model info", "a model info without siblings");
    return { files: siblings.map((s) => (s as { rfilename?: unknown }).rfilename).filter((f): f is string => typeof f === "string").slice(0, MAX_FILES), absentBecause: null };
  }
  return { files: [], absentBecause: `the tree API answered ${tree.status}, the model info ${info.status}` };
}

async function listTree(ctx: DownloadContext, first: string): Promise<string[] | { status: number }> {
  const files: string[] = [];
  let url: string | null = first;
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const got = await getJson(ctx, url, "file listing");
    if (got.kind !== "json") return { status: got.status };
    if (!Array.isArray(got.value)) throw hubBadResponse(ctx.endpoint, ctx.repo, "the file listing", "a listing that is not a JSON array");
    for (const entry of got.value) {
      const e = entry as { type?: unknown; path?: unknown };
      if (e.type === "file" && typeof e.path === "string") files.push(e.path);
    }
    if (files.length > MAX_FILES) break;
    url = nextPage(got.link, url);
  }
  return files;
}

/** `Link: <https://…&cursor=…>; rel="next"`, as the hub pages long listings. */
function nextPage(link: string | null, current: string): string | null {
  const m = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
  return m ? new URL(m[1]!, current).toString() : null;
}

type Got = { kind: "json"; value: unknown; link: string | null } | { kind: "absent"; status: number };

async function getJson(ctx: DownloadContext, url: string, what: string): Promise<Got> {
  const watchdog = new IdleWatchdog(ctx.idleTimeoutMs);
  try {
    let response: Response;
    try {
      ({ response } = await hubGet(url, ctx.endpoint, ctx.token, watchdog));
    } catch (err) {
      throw hubUnreachable(ctx.endpoint, networkFailureReason(err) ?? (err instanceof Error ? err.message : String(err)));
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw hubUnauthorized({ repo: ctx.repo, file: `the ${what}`, hubStatus: response.status, tokenSent: ctx.token !== "", hubSays: response.headers.get("x-error-message") ?? "" });
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      return { kind: "absent", status: response.status };
    }
    const text = await response.text();
    if (text.length > MAX_LISTING_BYTES) throw hubBadResponse(ctx.endpoint, ctx.repo, `the ${what}`, `more than ${MAX_LISTING_BYTES} bytes`);
    try {
      return { kind: "json", value: JSON.parse(text), link: response.headers.get("link") };
    } catch {
      // An HTML page where JSON was expected: a mirror that does not serve this API.
      return { kind: "absent", status: response.status };
    }
  } finally {
    watchdog.stop();
  }
}
