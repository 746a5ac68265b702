import { randomBytes } from "node:crypto";
import { CallObjectScanner } from "./call-object-scanner.ts";
import type { ToolFamily } from "./tool-family.ts";

/** What streamed model text turns into: content, and per call a start (index, id, name) then argument fragments. */
export type ToolParseEvent =
  | { type: "content"; text: string }
  | { type: "call"; index: number; id: string; name: string }
  | { type: "arguments"; index: number; text: string };

const HERMES_OPEN = "<tool_call>";
const HERMES_CLOSE = "</tool_call>";
const PYTHON_TAG = "<|python_tag|>";
const MISTRAL_TAG = "[TOOL_CALLS]";

export function newCallId(): string {
  return `call_${randomBytes(12).toString("hex")}`;
}

/**
 * A streaming parser of one family's tool-call syntax: feed text deltas, get events. Text that might still turn
 * into a call is held back until it is decided; a call's arguments stream as they arrive once its name is known.
 * Hermes/Qwen and our default: `<tool_call>{…}</tool_call>` (several in a row are parallel calls). Llama 3: the
 * message is one or more JSON objects (`;`-separated), optionally after <|python_tag|>. Mistral: [TOOL_CALLS] then a
 * JSON array of calls (the special token may already be stripped from the text).
 */
export class ToolCallParser {
  private buffer = "";
  private mode: "start" | "content" | "between" | "call" | "after" | "text-only" = "start";
  private scanner: CallObjectScanner | null = null;
  private emittedArgs = 0;
  private calls = 0;
  private inArray = false;
  private afterCall = false;
  /** The `<tool_call>` just read: given back as content if no call follows it. */
  private heldMarker = "";
  private readonly events: ToolParseEvent[] = [];

  constructor(
    private readonly family: ToolFamily,
    private readonly makeId: () => string = newCallId,
  ) {}

  get callCount(): number {
    return this.calls;
  }

  feed(text: string): ToolParseEvent[] {
    this.buffer += text;
    this.run(false);
    return this.events.splice(0);
  }

  /** End of the output: held-back text becomes content; a call cut off keeps its partial arguments. */
  finish(): ToolParseEvent[] {
    this.run(true);
    if (this.scanner) {
      if (this.scanner.name === null) this.content(this.heldMarker + this.scanner.raw);
      this.heldMarker = "";
      this.scanner = null;
    }
    this.content(this.heldMarker + this.buffer);
    this.heldMarker = "";
    this.buffer = "";
    return this.events.splice(0);
  }

  private content(text: string): void {
    if (!text) return;
    const last = this.events[this.events.length - 1];
    if (last?.type === "content") last.text += text;
    else this.events.push({ type: "content", text });
  }

  private run(final: boolean): void {
    for (let guard = 0; guard < 10_000; guard++) {
      const before = this.buffer.length + this.mode;
      this.advance(final);
      if (this.buffer.length + this.mode === before) return;
    }
  }

  private advance(final: boolean): void {
    const hermes = this.family === "hermes" || this.family === "default";
    switch (this.mode) {
      case "text-only":
        this.content(this.buffer);
        this.buffer = "";
        return;
      case "start": {
        if (hermes) {
          this.mode = "content";
          return;
        }
        // Llama 3 / Mistral: the message itself is the call list, or it is plain content.
        const trimmed = this.buffer.trimStart();
        const marker = this.family === "llama3" ? PYTHON_TAG : MISTRAL_TAG;
        if (trimmed === "" || (marker.startsWith(trimmed) && !final)) return;
        let rest = trimmed.startsWith(marker) ? trimmed.slice(marker.length).trimStart() : trimmed;
        if (rest === "" && !final) return;
        if (this.family === "mistral") {
          if (rest.startsWith("[")) {
            this.inArray = true;
            rest = rest.slice(1);
          } else if (!rest.startsWith("{") && rest !== "") return this.textOnly();
        } else if (!rest.startsWith("{")) return this.textOnly();
        this.buffer = rest;
        this.mode = "between";
        return;
      }
      case "content": {
        if (this.afterCall) {
          // Whitespace between parallel calls (and after the last) is layout, not content.
          this.buffer = this.buffer.trimStart();
          if (this.buffer === "") return;
          this.afterCall = false;
        }
        const at = this.buffer.indexOf(HERMES_OPEN);
        if (at >= 0) {
          this.content(this.buffer.slice(0, at));
          this.buffer = this.buffer.slice(at + HERMES_OPEN.length);
          this.heldMarker = HERMES_OPEN;
          this.mode = "between";
          return;
        }
        const hold = final ? 0 : partialSuffix(this.buffer, HERMES_OPEN);
        this.content(this.buffer.slice(0, this.buffer.length - hold));
        this.buffer = this.buffer.slice(this.buffer.length - hold);
        return;
      }
      case "between": {
        const trimmed = this.buffer.replace(/^[\s,;]+/, "");
        if (trimmed === "") {
          // After a marker, whitespace is held with it: the call's layout if a call follows, else content.
          if (this.heldMarker) this.heldMarker += this.buffer;
          this.buffer = "";
          return;
        }
        if (trimmed.startsWith("]") && this.inArray) {
          this.buffer = trimmed.slice(1);
          this.inArray = false;
          this.mode = "after";
          return;
        }
        if (!trimmed.startsWith("{")) {
          // Not a call after all: the marker and what follows are content.
          this.content(this.heldMarker);
          this.heldMarker = "";
          this.buffer = hermes ? this.buffer : trimmed;
          this.mode = hermes ? "content" : "text-only";
          return;
        }
        if (this.heldMarker) this.heldMarker += this.buffer.slice(0, this.buffer.length - trimmed.length);
        this.buffer = trimmed;
        this.scanner = new CallObjectScanner();
        this.emittedArgs = 0;
        this.mode = "call";
        return;
      }
      case "call": {
        const s = this.scanner!;
        const used = s.feed(this.buffer);
        this.buffer = this.buffer.slice(used);
        if (s.name !== null) this.emitCall(s);
        if (s.done) {
          const named = s.name !== null;
          if (!named) this.content(this.heldMarker + s.raw);
          this.heldMarker = "";
          this.scanner = null;
          // A call's closing tag is layout; after an object that was no call, it is content.
          this.mode = hermes ? (named ? "after" : "content") : "between";
        }
        return;
      }
      case "after": {
        if (!hermes) {
          this.mode = "text-only";
          return;
        }
        const trimmed = this.buffer.trimStart();
        if (trimmed.startsWith(HERMES_CLOSE)) {
          this.buffer = trimmed.slice(HERMES_CLOSE.length);
          this.afterCall = true;
          this.mode = "content";
        } else if (HERMES_CLOSE.startsWith(trimmed) && !final) return;
        else this.mode = "content";
        return;
      }
    }
  }

  private textOnly(): void {
    this.mode = "text-only";
  }

  private started = new WeakSet<CallObjectScanner>();

  private emitCall(s: CallObjectScanner): void {
    if (!this.started.has(s)) {
      this.started.add(s);
      this.heldMarker = "";
      this.events.push({ type: "call", index: this.calls, id: this.makeId(), name: s.name! });
      this.calls++;
    }
    const args = s.args.trimStart();
    // A string-valued "arguments" (some models encode them) is decoded once complete.
    if (args.startsWith('"')) {
      if (s.done || (s.sawArgs && args.length > 1 && /[^\\]"$/.test(args))) {
        if (this.emittedArgs === 0) {
          let text = args;
          try {
            text = JSON.parse(args) as string;
          } catch {
            // keep as written
          }
          this.events.push({ type: "arguments", index: this.calls - 1, text });
          this.emittedArgs = args.length;
        }
      }
      return;
    }
    if (args.length > this.emittedArgs) {
      this.events.push({ type: "arguments", index: this.calls - 1, text: args.slice(this.emittedArgs) });
      this.emittedArgs = args.length;
    }
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `marker` (held back in case it completes). */
function partialSuffix(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 0; n--) if (marker.startsWith(text.slice(text.length - n))) return n;
  return 0;
}
