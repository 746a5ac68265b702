import { JsonPathTracker, type Position } from "./json-path-tracker.ts";
import type { TaggedJson } from "./grammar-spec.ts";

/**
 * Follows output made of tagged JSON values (tool calls): between values it watches for a `begin` string, then
 * follows the value with a JsonPathTracker of that tag's schema until the value is complete.
 */
export class TaggedJsonTracker {
  private constructor(
    private readonly tags: readonly { begin: Uint8Array; tag: TaggedJson }[],
    private tail: number[],
    private inner: JsonPathTracker | null,
  ) {}

  static start(tags: readonly TaggedJson[]): TaggedJsonTracker {
    return new TaggedJsonTracker(tags.map((tag) => ({ begin: new Uint8Array(Buffer.from(tag.begin, "utf8")), tag })), [], null);
  }

  clone(): TaggedJsonTracker {
    return new TaggedJsonTracker(this.tags, [...this.tail], this.inner?.clone() ?? null);
  }

  position(): Position {
    // Between calls a token may finish a begin tag and start the arguments: treat digits as number-sensitive.
    return this.inner?.position() ?? { kind: "number", inside: false };
  }

  canEnd(): boolean {
    return this.inner === null;
  }

  feed(bytes: Uint8Array | readonly number[]): boolean {
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (this.inner) {
        if (!this.inner.feed([c])) return false;
        if (this.inner.done()) this.inner = null;
        continue;
      }
      this.tail.push(c);
      if (this.tail.length > 4096) this.tail.splice(0, this.tail.length - 4096);
      const found = this.tags.find((t) => endsWith(this.tail, t.begin));
      if (found) {
        this.inner = new JsonPathTracker(found.tag.schema);
        this.tail = [];
      }
    }
    return true;
  }
}

function endsWith(tail: number[], b: Uint8Array): boolean {
  if (tail.length < b.length) return false;
  for (let i = 0; i < b.length; i++) if (tail[tail.length - b.length + i] !== b[i]) return false;
  return true;
}
