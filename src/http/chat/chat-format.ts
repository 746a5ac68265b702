import type { TextModel } from "../../engine/text-model.ts";
import { accumulateEach, type ChoiceAccumulator, type Usage } from "../shared/choice-accumulator.ts";
import { wireFinishReason } from "../shared/finish-reason.ts";
import type { TaggedEvent } from "../shared/merge-events.ts";
import { chatLogprobs } from "./chat-logprobs.ts";
import type { ChatChunk, ChatResponse } from "./chat-schema.ts";

/** What both chat formatters need to know about the request. */
export interface ChatFormat {
  model: TextModel;
  /** The id, creation time and model name every chunk repeats. */
  frame: { id: string; created: number; model: string };
  n: number;
  logprobs: boolean;
}

/** The collected answer: one assistant message per choice. */
export function chatBody(acc: ChoiceAccumulator, f: ChatFormat): ChatResponse {
  return {
    id: f.frame.id,
    object: "chat.completion",
    created: f.frame.created,
    model: f.frame.model,
    choices: acc.choices.map((c) => ({
      index: c.index,
      message: { role: "assistant", content: c.text, refusal: null },
      logprobs: f.logprobs ? { content: chatLogprobs(f.model, c.tokens), refusal: null } : null,
      finish_reason: wireFinishReason(c.finishReason),
    })),
    usage: acc.usage(),
  };
}

/** The streamed answer: the assistant role per choice, then one chunk per delta and per finish, then usage when asked. */
export async function* chatChunks(events: AsyncIterable<TaggedEvent>, acc: ChoiceAccumulator, f: ChatFormat & { includeUsage: boolean }): AsyncGenerator<ChatChunk> {
  const chunk = (choices: ChatChunk["choices"], usage?: Usage): ChatChunk => ({
    id: f.frame.id,
    object: "chat.completion.chunk",
    created: f.frame.created,
    model: f.frame.model,
    choices,
    ...(f.includeUsage ? { usage: usage ?? null } : {}),
  });
  for (let index = 0; index < f.n; index++) yield chunk([{ index, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]);
  for await (const u of accumulateEach(events, acc)) {
    if (u.kind === "delta") {
      if (u.text === "" && !f.logprobs) continue;
      const logprobs = f.logprobs ? { content: chatLogprobs(f.model, u.tokens), refusal: null } : null;
      yield chunk([{ index: u.choice.index, delta: { content: u.text }, logprobs, finish_reason: null }]);
    } else if (u.kind === "finish") {
      yield chunk([{ index: u.choice.index, delta: {}, logprobs: null, finish_reason: wireFinishReason(u.reason) }]);
    }
  }
  if (f.includeUsage) yield chunk([], acc.usage());
}
