import { EngineError } from "../engine-errors.ts";

/**
 * Why a hub download failed. The client's request was fine: the server cannot get the model right now, and the
 * next request retries (the HTTP layer answers each as the model being unavailable). The code says which it was.
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
 * | hub_listing_unavailable  | a quantization was asked for and the hub serves no file listing      |
 * | hub_file_ambiguous       | several GGUF files of the repo carry the quantization asked for      |
 */
export type HubErrorCode =
  | "model_not_cached"
  | "hub_unauthorized"
  | "hub_not_found"
  | "hub_unreachable"
  | "hub_download_interrupted"
  | "hub_bad_response"
  | "model_cache_unwritable"
  | "hub_listing_unavailable"
  | "hub_file_ambiguous";

export class HubError extends EngineError {
  override readonly name = "HubError";

  constructor(
    readonly code: HubErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const FALLBACK = "Set HF_HUB_OFFLINE=1 to serve only cached models, or give the registry entry a local 'path'.";

/** `pullCommand`: how this user runs `pull` (`bun run pull` from source, `gpt3dev-api pull` as the executable). */
export function modelNotCached(repo: string, revision: string, cacheDir: string, pullCommand: string): HubError {
  return new HubError(
    "model_not_cached",
    `Model repo '${repo}' (revision ${revision}) is not cached in ${cacheDir} and HF_HUB_OFFLINE is set, so it cannot be downloaded. ` +
      `Run '${pullCommand} MODEL' with network access first, unset HF_HUB_OFFLINE, or give the registry entry a local 'path'.`,
  );
}

/** The hub refused a file (it answered `hubStatus`, 401 or 403). */
export function hubUnauthorized(refusal: { repo: string; file: string; hubStatus: number; tokenSent: boolean; hubSays: string }): HubError {
  const { repo, file, hubStatus, tokenSent, hubSays } = refusal;
  const why = tokenSent
    ? `the HF_TOKEN that was sent is not valid or not allowed to read '${repo}' (for a gated repo, accept its terms on the hub with that account)`
    : `no HF_TOKEN was sent; '${repo}' may be private or gated (set HF_TOKEN), or it may not exist (the hub answers 401 for repos it will not show)`;
  return new HubError("hub_unauthorized", `The hub answered ${hubStatus} for ${file} of '${repo}': ${why}.${detail(hubSays)}`);
}

export function hubNotFound(repo: string, revision: string, file: string, hubSays: string): HubError {
  return new HubError(
    "hub_not_found",
    `The hub has no file ${file} in repo '${repo}' at revision '${revision}' (404): the repo, the revision or the file does not exist. ` +
      `Check hf_repo, revision and dtype in the registry entry.${detail(hubSays)}`,
  );
}

/** The repo has none of the files a model is made of, by any of their well-known names. */
export function hubNoModel(repo: string, revision: string, dtype: string, graph: string, weightFiles: readonly string[]): HubError {
  return new HubError(
    "hub_not_found",
    `The hub has no model files in repo '${repo}' at revision '${revision}': no ONNX export for dtype ${dtype} (${graph}) and no checkpoint weights (${weightFiles.join(", ")}). ` +
      `Check hf_repo, revision and dtype in the registry entry; for a GGUF repo, name the file with 'file' or a quantization as 'hf_repo: ${repo}:Q4_K_M'.`,
  );
}

/** A `repo:QUANT` entry on a hub (or mirror) that lists no files: the user must name the file. */
export function hubListingUnavailable(endpoint: string, repo: string, revision: string, quant: string, what: string): HubError {
  return new HubError(
    "hub_listing_unavailable",
    `The hub at ${endpoint} gave no file listing for '${repo}' at revision '${revision}' (${what}), so the GGUF file of quantization ${quant} cannot be picked; ` +
      `many mirrors serve no listing API. Name the file in the registry entry instead: 'hf_repo: ${repo}' with 'file: NAME.gguf'.`,
  );
}

/** No GGUF model of the repo carries the quantization asked for. */
export function ggufQuantNotFound(repo: string, revision: string, quant: string, available: readonly string[]): HubError {
  const has = available.length ? `the repo has: ${available.join(", ")}` : "the repo has no GGUF files";
  return new HubError(
    "hub_not_found",
    `No GGUF file of '${repo}' at revision '${revision}' carries the quantization ${quant}; ${has}. Pick one of them (as 'hf_repo: ${repo}:QUANT' or with 'file').`,
  );
}

/** Several GGUF models of the repo carry the quantization asked for. */
export function ggufQuantAmbiguous(repo: string, revision: string, quant: string, matches: readonly string[]): HubError {
  return new HubError(
    "hub_file_ambiguous",
    `Several GGUF files of '${repo}' at revision '${revision}' carry the quantization ${quant}: ${matches.join(", ")}. Name the one to serve with 'file' in the registry entry.`,
  );
}

export function hubUnreachable(endpoint: string, reason: string): HubError {
  return new HubError("hub_unreachable", `Cannot reach the model hub at ${endpoint} (${reason}). ${FALLBACK} Set HF_ENDPOINT to use a mirror.`);
}

export function hubInterrupted(endpoint: string, repo: string, file: string, reason: string): HubError {
  return new HubError(
    "hub_download_interrupted",
    `Downloading ${file} of '${repo}' from ${endpoint} was interrupted (${reason}); nothing partial was kept and the next request retries. ${FALLBACK}`,
  );
}

export function hubBadResponse(endpoint: string, repo: string, file: string, what: string): HubError {
  return new HubError("hub_bad_response", `The hub at ${endpoint} answered ${what} for ${file} of '${repo}'; the next request retries.`);
}

export function cacheUnwritable(dir: string, reason: string): HubError {
  return new HubError("model_cache_unwritable", `Cannot write the model cache folder ${dir} (${reason}). Set MODEL_CACHE_DIR to a writable folder.`);
}

/** The hub explains its refusals in X-Error-Message (and the body); pass one line of that on. */
function detail(hubSays: string): string {
  const line = hubSays.trim().split("\n")[0]!.slice(0, 300);
  return line ? ` Hub says: ${line}` : "";
}
