import crypto from "node:crypto";
import type { Caller } from "./caller.ts";

/**
 * The configured API keys, kept only as SHA-256 digests. A presented key is hashed and compared with every
 * digest by crypto.timingSafeEqual: equal-length inputs, no early exit, so timing tells nothing about how
 * much of a key matched or which key it was.
 */
export class ApiKeys {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  accepts(presented: string): boolean {
    const d = digest(presented);
    let ok = false;
    for (const k of this.digests) ok = crypto.timingSafeEqual(d, k) || ok;
    return ok;
  }

  /** The caller an `Authorization` header makes: with keys off everyone is authorized and anonymous. */
  identify(authorization: string | null): Caller {
    if (!this.enabled) return { authorized: true, keyDigest: null };
    const token = bearerToken(authorization);
    if (token === null || !this.accepts(token)) return { authorized: false, keyDigest: null };
    return { authorized: true, keyDigest: digest(token).toString("hex") };
  }
}

function digest(key: string): Buffer {
  return crypto.createHash("sha256").update(key, "utf8").digest();
}

/** The key of an `Authorization: Bearer KEY` header (scheme case-insensitive), or null. */
export function bearerToken(header: string | null): string | null {
  if (header === null) return null;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}
