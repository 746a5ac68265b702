import type { FinishReason, GeneratedToken } from "../../engine/generation/generation-types.ts";
import type { TaggedEvent } from "./merge-events.ts";

/** One choice as far as it has come. */
export interface ChoiceState {
  /** The choice's index on the wire: prompt × n + the engine's sequence index. */
  index: number;
  /** Which prompt of the request it continues. */
  prompt: number;
  text: string;
  tokens: GeneratedToken[];
  /** Where each token's text starts in `text` (legacy logprobs' text_offset). */
  offsets: number[];
  finishReason: FinishReason | null;
  /** The engine's count of the tokens it generated (what usage reports). */
  completionTokens: number;
}

/** What one event changed, for a stream formatter to turn into chunks. */
export type ChoiceUpdate =
  | { kind: "prompt"; prompt: number; logprobs: (GeneratedToken | null)[] | null }
  | { kind: "delta"; choice: ChoiceState; text: string; tokens: GeneratedToken[]; /** `choice.text.length` before this text. */ offset: number }
  | { kind: "finish"; choice: ChoiceState; reason: FinishReason };

export interface AccumulatorOptions {
  prompts: number;
  /** Choices per prompt (n). */
  choicesPerPrompt: number;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/**
 * The one reading of a request's generation events, shared by every endpoint and by both ways of answering:
 * per choice its text, tokens (with text offsets), finish reason and token count, per prompt its token
 * logprobs, and the usage. A collected answer reads it at the end; a stream formats each update as it comes.
 * An error event is thrown (as the engine error it carries) for the caller's error path.
 */
export class ChoiceAccumulator {
  readonly choices: ChoiceState[];
  /** Prompt-token logprobs per prompt (echo + logprobs), null until its prompt event (or when not asked). */
  readonly promptLogprobs: ((GeneratedToken | null)[] | null)[];
  private promptTokens = 0;
  private completionTokens = 0;

  constructor(private readonly opts: AccumulatorOptions) {
    this.choices = Array.from({ length: opts.prompts * opts.choicesPerPrompt }, (_, index) => ({
      index,
      prompt: Math.floor(index / opts.choicesPerPrompt),
      text: "",
      tokens: [],
      offsets: [],
      finishReason: null,
      completionTokens: 0,
    }));
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
        return { kind: "delta", choice, text: event.text, tokens: event.tokens, offset };
      }
      case "finish": {
        const choice = this.choice(prompt, event.index);
        choice.finishReason = event.reason;
        choice.completionTokens = event.completionTokens;
        this.completionTokens += event.completionTokens;
        return { kind: "finish", choice, reason: event.reason };
      }
    }
  }

  usage(): Usage {
    return { prompt_tokens: this.promptTokens, completion_tokens: this.completionTokens, total_tokens: this.promptTokens + this.completionTokens };
  }

  private choice(prompt: number, index: number): ChoiceState {
    return this.choices[prompt * this.opts.choicesPerPrompt + index]!;
  }
}

/** Reads every event (a collected answer). */
export async function accumulateAll(events: AsyncIterable<TaggedEvent>, acc: ChoiceAccumulator): Promise<ChoiceAccumulator> {
  for await (const e of events) acc.add(e);
  return acc;
}

/** Each event's update as it comes (a streamed answer). */
export async function* accumulateEach(events: AsyncIterable<TaggedEvent>, acc: ChoiceAccumulator): AsyncGenerator<ChoiceUpdate> {
  for await (const e of events) {
    const update = acc.add(e);
    if (update) yield update;
  }
}
