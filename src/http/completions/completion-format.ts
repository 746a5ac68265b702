import type { TextModel } from "../../engine/text-model.ts";
import { accumulateEach, type ChoiceAccumulator, type Usage } from "../shared/choice-accumulator.ts";
import { wireFinishReason } from "../shared/finish-reason.ts";
import type { TaggedEvent } from "../shared/merge-events.ts";
import { promptOffsets } from "../shared/token-text.ts";
import { legacyLogprobs } from "./completion-logprobs.ts";
import type { CompletionChoice, CompletionResponse } from "./completion-schema.ts";

export interface CompletionPrompt {
  ids: number[];
  text: string;
}

/** What both completion formatters need to know about the request. */
export interface CompletionFormat {
  model: TextModel;
  /** The id, creation time and model name every chunk repeats. */
  frame: { id: string; created: number; model: string };
  prompts: CompletionPrompt[];
  n: number;
  echo: boolean;
  /** logprobs as asked (null: none). */
  logprobs: number | null;
}

/** The collected answer: every choice in index order, the echoed prompt in front when asked. */
export function completionBody(acc: ChoiceAccumulator, f: CompletionFormat): CompletionResponse {
  const choices = acc.choices.map((c): CompletionChoice => {
    const p = f.prompts[c.prompt]!;
    const prefix = f.echo ? p.text : "";
    let logprobs: CompletionChoice["logprobs"] = null;
    if (f.logprobs !== null) {
      const head = f.echo ? (acc.promptLogprobs[c.prompt] ?? p.ids.map(() => null)) : [];
      const headOffsets = f.echo ? promptOffsets(f.model, p.ids) : [];
      logprobs = legacyLogprobs(f.model, [...head, ...c.tokens], p.ids, [...headOffsets, ...c.offsets.map((o) => o + prefix.length)]);
    }
    return { index: c.index, text: prefix + c.text, logprobs, finish_reason: wireFinishReason(c.finishReason) };
  });
  return { ...envelope(f), choices, usage: acc.usage() };
}

/** The streamed answer: the echo per choice, then one chunk per delta and per finish, then usage when asked. */
export async function* completionChunks(events: AsyncIterable<TaggedEvent>, acc: ChoiceAccumulator, f: CompletionFormat & { includeUsage: boolean }): AsyncGenerator<CompletionResponse> {
  const chunk = (choices: CompletionChoice[], usage?: Usage): CompletionResponse => ({
    ...envelope(f),
    choices,
    ...(f.includeUsage ? { usage: usage ?? null } : {}),
  });
  const prefixLength = (prompt: number) => (f.echo ? f.prompts[prompt]!.text.length : 0);
  for await (const u of accumulateEach(events, acc)) {
    if (u.kind === "prompt") {
      if (!f.echo) continue;
      const p = f.prompts[u.prompt]!;
      const lp = f.logprobs !== null ? legacyLogprobs(f.model, u.logprobs ?? p.ids.map(() => null), p.ids, promptOffsets(f.model, p.ids)) : null;
      for (let j = 0; j < f.n; j++) yield chunk([{ index: u.prompt * f.n + j, text: p.text, logprobs: lp, finish_reason: null }]);
    } else if (u.kind === "delta") {
      if (u.text === "" && f.logprobs === null) continue;
      const at = prefixLength(u.choice.prompt) + u.offset;
      const lp = f.logprobs !== null ? legacyLogprobs(f.model, u.tokens, null, u.tokens.map(() => at)) : null;
      yield chunk([{ index: u.choice.index, text: u.text, logprobs: lp, finish_reason: null }]);
    } else {
      yield chunk([{ index: u.choice.index, text: "", logprobs: null, finish_reason: wireFinishReason(u.reason) }]);
    }
  }
  if (f.includeUsage) yield chunk([], acc.usage());
}

function envelope(f: CompletionFormat): Pick<CompletionResponse, "id" | "object" | "created" | "model"> {
  return { id: f.frame.id, object: "text_completion", created: f.frame.created, model: f.frame.model };
}
