import type { ToolParseEvent } from "../../engine/tools/tool-call-parser.ts";
import type { TextModel } from "../../engine/text-model.ts";
import { accumulateEach, type ChoiceAccumulator, type ChoiceState, type Usage } from "../shared/choice-accumulator.ts";
import type { TaggedEvent } from "../shared/merge-events.ts";
import { chatLogprobs } from "./chat-logprobs.ts";
import type { ChatChunk, ChatLogprobs, ChatMessage, ChatResponse } from "./chat-schema.ts";

/** What both chat formatters need to know about the request. */
export interface ChatFormat {
  model: TextModel;
  /** The id, creation time and model name every chunk repeats. */
  frame: { id: string; created: number; model: string };
  n: number;
  logprobs: boolean;
  /** The output is read for tool calls. */
  tools: boolean;
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
      message: message(c),
      logprobs: f.logprobs ? { content: chatLogprobs(f.model, c.tokens), refusal: null } : null,
      finish_reason: acc.finishReason(c),
    })),
    usage: acc.usage(),
  };
}

/** As OpenAI answers: content null when the turn only called tools; tool_calls only when there are some. */
function message(c: ChoiceState): ChatMessage {
  if (c.toolCalls.length === 0) return { role: "assistant", content: c.content, refusal: null };
  return {
    role: "assistant",
    content: c.content.trim() === "" ? null : c.content,
    refusal: null,
    tool_calls: c.toolCalls.map((t) => ({ id: t.id, type: "function", function: { name: t.name, arguments: t.arguments } })),
  };
}

type ChunkDelta = ChatChunk["choices"][number]["delta"];

/** One part of the text as a chunk's delta: content, a call's first piece (id, type, name), or its argument text. */
function partDelta(p: ToolParseEvent): ChunkDelta {
  if (p.type === "content") return { content: p.text };
  if (p.type === "call") return { tool_calls: [{ index: p.index, id: p.id, type: "function", function: { name: p.name, arguments: "" } }] };
  return { tool_calls: [{ index: p.index, function: { arguments: p.text } }] };
}

/**
 * The streamed answer: the assistant role per choice, then one chunk per piece of content or tool call (a token's
 * logprobs ride on its first chunk, or on an empty-content chunk when the token's text is still held back), then
 * each choice's finish, then usage when asked.
 */
export async function* chatChunks(events: AsyncIterable<TaggedEvent>, acc: ChoiceAccumulator, f: ChatFormat & { includeUsage: boolean }): AsyncGenerator<ChatChunk> {
  const chunk = (choices: ChatChunk["choices"], usage?: Usage): ChatChunk => ({
    id: f.frame.id,
    object: "chat.completion.chunk",
    created: f.frame.created,
    model: f.frame.model,
    choices,
    ...(f.includeUsage ? { usage: usage ?? null } : {}),
  });
  const piece = (index: number, delta: ChunkDelta, logprobs: ChatLogprobs | null = null) => chunk([{ index, delta, logprobs, finish_reason: null }]);
  for (let index = 0; index < f.n; index++) yield piece(index, { role: "assistant", content: f.tools ? null : "" });
  for await (const u of accumulateEach(events, acc)) {
    if (u.kind === "prompt") continue;
    let logprobs: ChatLogprobs | null = u.kind === "delta" && f.logprobs && u.tokens.length > 0 ? { content: chatLogprobs(f.model, u.tokens), refusal: null } : null;
    for (const p of u.parts) {
      yield piece(u.choice.index, partDelta(p), logprobs);
      logprobs = null;
    }
    if (logprobs) yield piece(u.choice.index, { content: "" }, logprobs);
    if (u.kind === "finish") yield chunk([{ index: u.choice.index, delta: {}, logprobs: null, finish_reason: acc.finishReason(u.choice) }]);
  }
  if (f.includeUsage) yield chunk([], acc.usage());
}
