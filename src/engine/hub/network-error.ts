/** Error codes from Bun's fetch (and Node's) that mean the connection itself failed, not the hub's answer. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE",
  "ConnectionRefused", "ConnectionClosed", "FailedToOpenSocket", "UNABLE_TO_CONNECT", "CERT_HAS_EXPIRED",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** A short reason for a failed connection ("ENOTFOUND", "timed out after 60 s"), or null if it was not one. */
export function networkFailureReason(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  if (err.name === "TimeoutError" || err.name === "AbortError") return err.message || "timed out";
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && NETWORK_CODES.has(code)) {
    return code === "ENOTFOUND" || code === "EAI_AGAIN" ? `${code}: the host name does not resolve` : code;
  }
  return null;
}

/** Disk errors while writing the cache, told apart from network ones. */
export function isDiskError(err: unknown): boolean {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === "string" && ["EACCES", "EPERM", "ENOSPC", "EROFS", "EDQUOT", "EISDIR", "ENOTDIR", "EMFILE"].includes(code);
}
