import { ApiError } from "../../errors/api-error.ts";

/**
 * What a failed hub download answers. All are 503 `service_unavailable_error`: the client's request was fine, the
 * server cannot get the model right now, and the next request retries. The code says which failure it was.
 *
 * | code                     | when                                                                 |
 * |--------------------------|----------------------------------------------------------------------|
 * | model_not_cached         | HF_HUB_OFFLINE is set and the model is not (completely) cached       |
 * | hub_unauthorized         | the hub answered 401/403: token missing, wrong, or not allowed       |
 * | hub_not_found            | the hub answered 404 for the repo, revision or a required file       |
 * | hub_unreachable          | DNS failure, connection refused/reset before any answer, timeout    |
 * | hub_download_interrupted | the connection broke or stalled mid-file                             |
 * | hub_bad_response         | any other status (5xx, 429, too many redirects)                      |
 * | model_cache_unwritable   | the cache folder cannot be written (permissions, disk full)          |
 */
export type HubErrorCode =
  | "model_not_cached"
  | "hub_unauthorized"
  | "hub_not_found"
  | "hub_unreachable"
  | "hub_download_interrupted"
  | "hub_bad_response"
  | "model_cache_unwritable";

export function hubError(code: HubErrorCode, message: string): ApiError {
  return new ApiError({ status: 503, type: "service_unavailable_error", code, param: "model", message });
}

const FALLBACK = "Set HF_HUB_OFFLINE=1 to serve only cached models, or give the registry entry a local 'path'.";

export function modelNotCached(repo: string, revision: string, cacheDir: string): ApiError {
  return hubError(
    "model_not_cached",
    `Model repo '${repo}' (revision ${revision}) is not cached in ${cacheDir} and HF_HUB_OFFLINE is set, so it cannot be downloaded. ` +
      `Run 'gpt3dev-api pull MODEL' with network access first, unset HF_HUB_OFFLINE, or give the registry entry a local 'path'.`,
  );
}

export function hubUnauthorized(repo: string, file: string, status: number, tokenSent: boolean, hubSays: string): ApiError {
  const why = tokenSent
    ? `the HF_TOKEN that was sent is not valid or not allowed to read '${repo}' (for a gated repo, accept its terms on the hub with that account)`
    : `no HF_TOKEN was sent; '${repo}' may be private or gated (set HF_TOKEN), or it may not exist (the hub answers 401 for repos it will not show)`;
  return hubError("hub_unauthorized", `The hub answered ${status} for ${file} of '${repo}': ${why}.${detail(hubSays)}`);
}

export function hubNotFound(repo: string, revision: string, file: string, hubSays: string): ApiError {
  return hubError(
    "hub_not_found",
    `The hub has no file ${file} in repo '${repo}' at revision '${revision}' (404): the repo, the revision or the file does not exist. ` +
      `Check hf_repo, revision and dtype in the registry entry.${detail(hubSays)}`,
  );
}

export function hubUnreachable(endpoint: string, reason: string): ApiError {
  return hubError("hub_unreachable", `Cannot reach the model hub at ${endpoint} (${reason}). ${FALLBACK} Set HF_ENDPOINT to use a mirror.`);
}

export function hubInterrupted(endpoint: string, repo: string, file: string, reason: string): ApiError {
  return hubError(
    "hub_download_interrupted",
    `Downloading ${file} of '${repo}' from ${endpoint} was interrupted (${reason}); nothing partial was kept and the next request retries. ${FALLBACK}`,
  );
}

export function hubBadResponse(endpoint: string, repo: string, file: string, what: string): ApiError {
  return hubError("hub_bad_response", `The hub at ${endpoint} answered ${what} for ${file} of '${repo}'; the next request retries.`);
}

export function cacheUnwritable(dir: string, reason: string): ApiError {
  return hubError("model_cache_unwritable", `Cannot write the model cache folder ${dir} (${reason}). Set MODEL_CACHE_DIR to a writable folder.`);
}

/** The hub explains its refusals in X-Error-Message (and the body); pass one line of that on. */
function detail(hubSays: string): string {
  const line = hubSays.trim().split("\n")[0]!.slice(0, 300);
  return line ? ` Hub says: ${line}` : "";
}
