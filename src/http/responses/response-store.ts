import type { ConversationItem } from "./response-items-schema.ts";
import type { ResponseObject } from "./response-schema.ts";

/** One kept response: what GET answers, what input_items lists, and what previous_response_id continues. */
export interface StoredResponse {
  response: ResponseObject;
  /** The items this response was given (its instructions are not items, and are not carried on). */
  input: ConversationItem[];
  /** Everything a follow-up continues: the earlier turns, this input and this output, oldest first. */
  conversation: readonly ConversationItem[];
  /** SHA-256 of the API key that created it (null with keys off): only that key can read or delete it. */
  owner: string | null;
}

export interface StoreLimits {
  /** Most responses kept; the oldest is evicted first (0: keep none). */
  maxEntries: number;
  /** Age in ms at which a response is dropped (0: only eviction removes it). */
  ttlMs: number;
}

/**
 * The responses kept in memory (store: true), bounded by count and by age. Entries are never re-inserted, so
 * the map's order is their age: eviction and expiry both take from its front. Another key's response is as
 * absent as an unknown one, so a caller cannot learn which ids exist.
 */
export class ResponseStore {
  private readonly entries = new Map<string, { entry: StoredResponse; storedAt: number }>();

  constructor(
    private readonly limits: StoreLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    this.expire();
    return this.entries.size;
  }

  put(entry: StoredResponse): void {
    if (this.limits.maxEntries === 0) return;
    this.expire();
    this.entries.set(entry.response.id, { entry, storedAt: this.now() });
    for (const id of this.entries.keys()) {
      if (this.entries.size <= this.limits.maxEntries) break;
      this.entries.delete(id);
    }
  }

  get(id: string, owner: string | null): StoredResponse | undefined {
    this.expire();
    const kept = this.entries.get(id)?.entry;
    return kept && kept.owner === owner ? kept : undefined;
  }

  /** True when the caller's response was there and is now gone. */
  delete(id: string, owner: string | null): boolean {
    if (!this.get(id, owner)) return false;
    return this.entries.delete(id);
  }

  private expire(): void {
    if (this.limits.ttlMs === 0) return;
    const oldest = this.now() - this.limits.ttlMs;
    for (const [id, { storedAt }] of this.entries) {
      if (storedAt > oldest) break;
      this.entries.delete(id);
    }
  }
}
