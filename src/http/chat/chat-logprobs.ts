import type { GeneratedToken } from "../../engine/generation/generation-types.ts";
import type { TextModel } from "../../engine/text-model.ts";
import type { ChatTokenLogprob } from "./chat-schema.ts";

/** Chat logprobs: one entry per generated token with its exact bytes and the top alternatives. */
export function chatLogprobs(model: TextModel, tokens: readonly GeneratedToken[]): ChatTokenLogprob[] {
  const t = model.tokenizer;
  return tokens.map((tok) => ({
    token: t.tokenText(tok.id),
    logprob: tok.logprob ?? 0,
    bytes: t.tokenBytes(tok.id),
    top_logprobs: tok.top.map((alt) => ({ token: t.tokenText(alt.id), logprob: alt.logprob, bytes: t.tokenBytes(alt.id) })),
  }));
}
