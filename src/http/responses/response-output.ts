import type { GeneratedToken } from "../../engine/generation/generation-types.ts";
import type { TextModel } from "../../engine/text-model.ts";
import { chatLogprobs } from "../chat/chat-logprobs.ts";
import { newId } from "../shared/ids.ts";
import type { DeltaLogprob, UnnumberedEvent } from "./response-events-schema.ts";
import type { FunctionCallItem, OutputItem, OutputLogprob, OutputMessageItem, OutputTextPart } from "./response-items-schema.ts";
import type { OutputSegment } from "./output-segments.ts";

type OpenItem =
  | { kind: "message"; item: OutputMessageItem; part: OutputTextPart; index: number; tokens: GeneratedToken[] }
  | { kind: "call"; item: FunctionCallItem; index: number };

/**
 * A response's `output` as it grows, and the stream events each step of it makes: an item is added when its
 * first segment arrives (a message with one output_text part, or a function call), filled by deltas, and
 * closed (done events, final status) when another item starts or the response ends. A response always has an
 * item: an empty generation is one empty message.
 */
export class ResponseOutput {
  readonly items: OutputItem[] = [];
  private open: OpenItem | null = null;

  /** `logprobs`: how generated tokens become output_text logprobs, or null when the request did not ask. */
  constructor(private readonly logprobs: ((tokens: readonly GeneratedToken[]) => OutputLogprob[]) | null) {}

  /** The output's text parts joined (`output_text`). */
  text(): string {
    return this.items.flatMap((item) => (item.type === "message" ? item.content.map((p) => p.text) : [])).join("");
  }

  *apply(segment: OutputSegment): Generator<UnnumberedEvent> {
    switch (segment.kind) {
      case "text": {
        const m = this.open?.kind === "message" ? this.open : yield* this.openMessage();
        if (segment.text === "" && !this.logprobs) return;
        m.part.text += segment.text;
        m.tokens.push(...segment.tokens);
        const logprobs = this.logprobs ? deltaLogprobs(this.logprobs(segment.tokens)) : [];
        yield { type: "response.output_text.delta", item_id: m.item.id, output_index: m.index, content_index: 0, delta: segment.text, logprobs };
        return;
      }
      case "call_start": {
        yield* this.closeOpen("completed");
        const item: FunctionCallItem = { type: "function_call", id: newId("fc", "_"), call_id: segment.callId ?? newId("call", "_"), name: segment.name, arguments: "", status: "in_progress" };
        this.open = { kind: "call", item, index: this.items.push(item) - 1 };
        yield { type: "response.output_item.added", output_index: this.open.index, item: structuredClone(item) };
        return;
      }
      case "call_arguments": {
        if (this.open?.kind !== "call") throw new Error("call arguments outside a function call");
        this.open.item.arguments += segment.text;
        yield { type: "response.function_call_arguments.delta", item_id: this.open.item.id, output_index: this.open.index, delta: segment.text };
        return;
      }
      case "call_end":
        if (this.open?.kind === "call") yield* this.closeOpen("completed");
        return;
    }
  }

  /** The response has ended (completed, or cut short): the open item is closed with that status. */
  *close(status: "completed" | "incomplete"): Generator<UnnumberedEvent> {
    if (this.items.length === 0) yield* this.openMessage();
    yield* this.closeOpen(status);
  }

  private *openMessage(): Generator<UnnumberedEvent, Extract<OpenItem, { kind: "message" }>> {
    yield* this.closeOpen("completed");
    const item: OutputMessageItem = { type: "message", id: newId("msg", "_"), role: "assistant", status: "in_progress", content: [] };
    const index = this.items.push(item) - 1;
    yield { type: "response.output_item.added", output_index: index, item: structuredClone(item) };
    const part: OutputTextPart = { type: "output_text", text: "", annotations: [], ...(this.logprobs ? { logprobs: [] } : {}) };
    item.content.push(part);
    yield { type: "response.content_part.added", item_id: item.id, output_index: index, content_index: 0, part: structuredClone(part) };
    const open = { kind: "message" as const, item, part, index, tokens: [] };
    this.open = open;
    return open;
  }

  private *closeOpen(status: "completed" | "incomplete"): Generator<UnnumberedEvent> {
    const o = this.open;
    if (!o) return;
    this.open = null;
    if (o.kind === "message") {
      const logprobs = this.logprobs ? this.logprobs(o.tokens) : [];
      if (o.part.logprobs) o.part.logprobs = logprobs;
      yield { type: "response.output_text.done", item_id: o.item.id, output_index: o.index, content_index: 0, text: o.part.text, logprobs };
      yield { type: "response.content_part.done", item_id: o.item.id, output_index: o.index, content_index: 0, part: structuredClone(o.part) };
    } else {
      yield { type: "response.function_call_arguments.done", item_id: o.item.id, output_index: o.index, arguments: o.item.arguments };
    }
    o.item.status = status;
    yield { type: "response.output_item.done", output_index: o.index, item: structuredClone(o.item) };
  }
}

/** Generated tokens as output_text logprobs: the numbers chat reports for the same tokens, bytes always given. */
export function outputLogprobs(model: TextModel, tokens: readonly GeneratedToken[]): OutputLogprob[] {
  return chatLogprobs(model, tokens).map((l) => ({
    token: l.token,
    bytes: l.bytes ?? [],
    logprob: l.logprob,
    top_logprobs: l.top_logprobs.map((t) => ({ token: t.token, bytes: t.bytes ?? [], logprob: t.logprob })),
  }));
}

/** A delta event's logprobs carry no bytes. */
function deltaLogprobs(logprobs: OutputLogprob[]): DeltaLogprob[] {
  return logprobs.map((l) => ({ token: l.token, logprob: l.logprob, top_logprobs: l.top_logprobs.map((t) => ({ token: t.token, logprob: t.logprob })) }));
}
