import type { FinishReason, GeneratedToken } from "../../engine/generation/generation-types.ts";
import type { ToolParseEvent } from "../../engine/tools/tool-call-parser.ts";
import { wireFinishReason, type WireFinishReason } from "./finish-reason.ts";
import type { TaggedEvent } from "./merge-events.ts";

/** One tool call of a choice as far as it has come (arguments grow as their fragments arrive). */
export interface ToolCallState {
  id: string;
  name: string;
  arguments: string;
}

/** One choice as far as it has come. */
export interface ChoiceState {
  /** The choice's index on the wire: prompt × n + the engine's sequence index. */
  index: number;
  /** Which prompt of the request it continues. */
  prompt: number;
  /** Everything generated, as text (tool-call markup included). */
  text: string;
  /** The message text: `text` without its tool calls (equal to `text` when the request has no tools). */
  content: string;
  toolCalls: ToolCallState[];
  tokens: GeneratedToken[];
  /** Where each token's text starts in `text` (legacy logprobs' text_offset). */
  offsets: number[];
  finishReason: FinishReason | null;
  /** The engine's count of the tokens it generated (what usage reports). */
  completionTokens: number;
}

/**
 * What one event changed, for a stream formatter to turn into chunks. `parts` is the new text read as message
 * content and tool-call fragments (a call's start with its id and name, then its argument text), in order.
 */
export type ChoiceUpdate =
  | { kind: "prompt"; prompt: number; logprobs: (GeneratedToken | null)[] | null }
  | { kind: "delta"; choice: ChoiceState; text: string; tokens: GeneratedToken[]; /** `choice.text.length` before this text. */ offset: number; parts: ToolParseEvent[] }
  | { kind: "finish"; choice: ChoiceState; reason: FinishReason; parts: ToolParseEvent[] };

/** Reads a choice's text into content and tool calls as it streams (src/engine/tools/tool-call-parser.ts). */
export interface MessageReader {
  feed(text: string): ToolParseEvent[];
  /** The text has ended: what the reader still holds. */
  finish(): ToolParseEvent[];
}

export interface AccumulatorOptions {
  prompts: number;
  /** Choices per prompt (n). */
  choicesPerPrompt: number;
  /** With tools: a reader per choice, and the finish_reason of a choice that stopped after making calls. */
  toolCalls?: { reader: () => MessageReader; finishReason: "tool_calls" | "stop" } | null;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/**
 * The one reading of a request's generation events, shared by every endpoint and by both ways of answering:
 * per choice its text, content and tool calls, tokens (with text offsets), finish reason and token count, per
 * prompt its token logprobs, and the usage. A collected answer reads it at the end; a stream formats each
 * update as it comes. An error event is thrown (as the engine error it carries) for the caller's error path.
 */
export class ChoiceAccumulator {
  readonly choices: ChoiceState[];
  /** Prompt-token logprobs per prompt (echo + logprobs), null until its prompt event (or when not asked). */
  readonly promptLogprobs: ((GeneratedToken | null)[] | null)[];
  private readonly readers: (MessageReader | null)[];
  private promptTokens = 0;
  private completionTokens = 0;

  constructor(private readonly opts: AccumulatorOptions) {
    const count = opts.prompts * opts.choicesPerPrompt;
    this.choices = Array.from({ length: count }, (_, index) => ({
      index,
      prompt: Math.floor(index / opts.choicesPerPrompt),
      text: "",
      content: "",
      toolCalls: [],
      tokens: [],
      offsets: [],
      finishReason: null,
      completionTokens: 0,
    }));
    this.readers = Array.from({ length: count }, () => opts.toolCalls?.reader() ?? null);
    this.promptLogprobs = new Array(opts.prompts).fill(null);
  }

  add({ prompt, event }: TaggedEvent): ChoiceUpdate | null {
    switch (event.type) {
      case "error":
        throw event.error;
      case "prompt":
        this.promptTokens += event.promptTokens;
        this.promptLogprobs[prompt] = event.logprobs;
        return { kind: "prompt", prompt, logprobs: event.logprobs };
      case "discarded":
        this.completionTokens += event.completionTokens;
        return null;
      case "delta": {
        const choice = this.choice(prompt, event.index);
        const offset = choice.text.length;
        for (const t of event.tokens) {
          choice.tokens.push(t);
          choice.offsets.push(offset);
        }
        choice.text += event.text;
        const parts = this.read(choice, (r) => r.feed(event.text), event.text);
        return { kind: "delta", choice, text: event.text, tokens: event.tokens, offset, parts };
      }
      case "finish": {
        const choice = this.choice(prompt, event.index);
        const parts = this.read(choice, (r) => r.finish(), "");
        choice.finishReason = event.reason;
        choice.completionTokens = event.completionTokens;
        this.completionTokens += event.completionTokens;
        return { kind: "finish", choice, reason: event.reason, parts };
      }
    }
  }

  /** The events have ended: choices that never got a finish event give up what their readers hold. */
  end(): ChoiceUpdate[] {
    const out: ChoiceUpdate[] = [];
    for (const choice of this.choices) {
      if (choice.finishReason !== null) continue;
      const parts = this.read(choice, (r) => r.finish(), "");
      if (parts.length > 0) out.push({ kind: "delta", choice, text: "", tokens: [], offset: choice.text.length, parts });
    }
    return out;
  }

  /** The choice's finish_reason on the wire (tool calls decide it when the request has tools). */
  finishReason(choice: ChoiceState): WireFinishReason {
    const calls = choice.toolCalls.length > 0 ? (this.opts.toolCalls?.finishReason ?? null) : null;
    return wireFinishReason(choice.finishReason, calls);
  }

  usage(): Usage {
    return { prompt_tokens: this.promptTokens, completion_tokens: this.completionTokens, total_tokens: this.promptTokens + this.completionTokens };
  }

  private choice(prompt: number, index: number): ChoiceState {
    return this.choices[prompt * this.opts.choicesPerPrompt + index]!;
  }

  /** New text as parts; without a reader all of it is content. */
  private read(choice: ChoiceState, step: (r: MessageReader) => ToolParseEvent[], text: string): ToolParseEvent[] {
    const reader = this.readers[choice.index];
    const parts: ToolParseEvent[] = reader ? step(reader) : text === "" ? [] : [{ type: "content", text }];
    for (const p of parts) {
      if (p.type === "content") choice.content += p.text;
      else if (p.type === "call") choice.toolCalls.push({ id: p.id, name: p.name, arguments: "" });
      else choice.toolCalls[p.index]!.arguments += p.text;
    }
    return parts;
  }
}

/** Reads every event (a collected answer). */
export async function accumulateAll(events: AsyncIterable<TaggedEvent>, acc: ChoiceAccumulator): Promise<ChoiceAccumulator> {
  for await (const e of events) acc.add(e);
  acc.end();
  return acc;
}

/** Each event's update as it comes (a streamed answer). */
export async function* accumulateEach(events: AsyncIterable<TaggedEvent>, acc: ChoiceAccumulator): AsyncGenerator<ChoiceUpdate> {
  for await (const e of events) {
    const update = acc.add(e);
    if (update) yield update;
  }
  yield* acc.end();
}
