import { createHash } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { cacheUnwritable, hubBadResponse, hubInterrupted, hubNotFound, hubUnauthorized, hubUnreachable, type HubError } from "./hub-errors.ts";
import { hubGet, TooManyRedirects, type HubResponse } from "./hub-request.ts";
import type { DownloadProgress } from "./hub-types.ts";
import { resolveUrl } from "./hub-url.ts";
import { IdleWatchdog } from "./idle-watchdog.ts";
import { isDiskError, networkFailureReason } from "./network-error.ts";
import { ProgressMeter } from "./progress-meter.ts";
import type { RepoFile } from "./repo-file-list.ts";
import { removeStaleParts } from "./stale-parts.ts";
import { partFileName } from "./write-file-atomic.ts";

export interface DownloadContext {
  endpoint: string;
  token: string;
  repo: string;
  revision: string;
  idleTimeoutMs: number;
  onProgress: (p: DownloadProgress) => void;
  log: (line: string) => void;
}

/** `sha256`: of the bytes saved, computed while they streamed (what a build of the file is keyed by). */
export type DownloadResult = { kind: "saved"; size: number; sha256: string; commit: string | null } | { kind: "absent" };

/**
 * One repo file to `dest`: streamed to a part file beside it (never buffered whole), length-checked, flushed and
 * renamed into place. Any failure removes the part, so `dest` is either absent or a complete copy.
 */
export async function downloadFile(ctx: DownloadContext, file: RepoFile, dest: string): Promise<DownloadResult> {
  const url = resolveUrl(ctx.endpoint, ctx.repo, ctx.revision, file.path);
  const watchdog = new IdleWatchdog(ctx.idleTimeoutMs);
  try {
    const { response, commit } = await request(ctx, url, file, watchdog);
    if (response.status === 404 && !file.required) {
      await response.body?.cancel();
      return { kind: "absent" };
    }
    if (response.status !== 200) throw await statusError(ctx, file, response);
    const { size, sha256 } = await saveBody(ctx, file, response, dest, watchdog);
    return { kind: "saved", size, sha256, commit };
  } finally {
    watchdog.stop();
  }
}

async function request(ctx: DownloadContext, url: string, file: RepoFile, watchdog: IdleWatchdog): Promise<HubResponse> {
  try {
    return await hubGet(url, ctx.endpoint, ctx.token, watchdog);
  } catch (err) {
    if (err instanceof TooManyRedirects) throw hubBadResponse(ctx.endpoint, ctx.repo, file.path, err.message);
    const reason = watchdog.fired ? `no answer in ${watchdog.describe().replace("no data for ", "")}` : networkFailureReason(err) ?? message(err);
    throw hubUnreachable(ctx.endpoint, reason);
  }
}

/** The hub's refusal of a file, told apart by the hub's own status. */
async function statusError(ctx: DownloadContext, file: RepoFile, response: Response): Promise<HubError> {
  const hubSays = response.headers.get("x-error-message") ?? (await bodyText(response));
  const hubStatus = response.status;
  if (hubStatus === 401 || hubStatus === 403) return hubUnauthorized({ repo: ctx.repo, file: file.path, hubStatus, tokenSent: ctx.token !== "", hubSays });
  if (hubStatus === 404) return hubNotFound(ctx.repo, ctx.revision, file.path, hubSays);
  return hubBadResponse(ctx.endpoint, ctx.repo, file.path, `HTTP ${hubStatus}`);
}

async function saveBody(ctx: DownloadContext, file: RepoFile, response: Response, dest: string, watchdog: IdleWatchdog): Promise<{ size: number; sha256: string }> {
  // A compressed answer's Content-Length counts compressed bytes, which fetch has already inflated.
  const encoding = response.headers.get("content-encoding");
  const lengthHeader = response.headers.get("content-length");
  const total = lengthHeader !== null && (!encoding || encoding === "identity") ? Number(lengthHeader) : null;
  const part = partFileName(dest);
  const hash = createHash("sha256");
  let written = 0;
  try {
    await mkdir(dirname(dest), { recursive: true });
    await removeStaleParts(dest);
    const handle = await open(part, "w");
    try {
      const meter = new ProgressMeter(`${ctx.repo}@${ctx.revision}`, file.path, total, ctx.onProgress, ctx.log);
      if (response.body) {
        for await (const chunk of response.body) {
          watchdog.kick();
          await handle.write(chunk);
          hash.update(chunk);
          written += chunk.byteLength;
          meter.add(chunk.byteLength);
        }
      }
      if (total !== null && written !== total) throw new ShortBody(written, total);
      await handle.sync();
      meter.done();
    } finally {
      await handle.close();
    }
    await rename(part, dest);
    return { size: written, sha256: hash.digest("hex") };
  } catch (err) {
    await rm(part, { force: true }).catch(() => {});
    await response.body?.cancel().catch(() => {}); // free the connection when the disk, not the hub, failed
    if (isDiskError(err)) throw cacheUnwritable(dirname(dest), message(err));
    const progress = `after ${written} of ${total ?? "?"} bytes`;
    if (err instanceof ShortBody) throw hubInterrupted(ctx.endpoint, ctx.repo, file.path, `the connection closed ${progress}`);
    const reason = watchdog.fired ? watchdog.describe() : networkFailureReason(err) ?? message(err);
    throw hubInterrupted(ctx.endpoint, ctx.repo, file.path, `${reason} ${progress}`);
  }
}

class ShortBody extends Error {
  constructor(written: number, total: number) {
    super(`got ${written} of ${total} bytes`);
  }
}

async function bodyText(response: Response): Promise<string> {
  try {
    const text = (await response.text()).slice(0, 2000);
    // The hub answers errors as {"error": "..."}; mirrors may send HTML, which says nothing useful on one line.
    if (text.trimStart().startsWith("<")) return "";
    try {
      const parsed = JSON.parse(text) as { error?: unknown };
      return typeof parsed.error === "string" ? parsed.error : "";
    } catch {
      return text;
    }
  } catch {
    return "";
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
