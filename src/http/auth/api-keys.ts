import crypto from "node:crypto";

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
