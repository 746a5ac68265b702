import type { GeneratedToken } from "../../engine/generation/generation-types.ts";
import type { TextModel } from "../../engine/text-model.ts";
import type { CompletionLogprobs } from "./completion-schema.ts";

/** Legacy completions logprobs: parallel arrays; top_logprobs maps token text → logprob (the chosen token included). */
export function legacyLogprobs(model: TextModel, tokens: readonly (GeneratedToken | null)[], promptIds: readonly number[] | null, offsets: readonly number[]): CompletionLogprobs {
  const out: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  tokens.forEach((t, i) => {
    const id = t ? t.id : promptIds![i]!;
    out.tokens.push(model.tokenizer.tokenText(id));
    out.text_offset.push(offsets[i] ?? 0);
    if (!t || t.logprob === null) {
      out.token_logprobs.push(null);
      out.top_logprobs.push(null);
      return;
    }
    out.token_logprobs.push(t.logprob);
    const top: Record<string, number> = {};
    for (const alt of t.top) {
      const text = model.tokenizer.tokenText(alt.id);
      if (!(text in top)) top[text] = alt.logprob;
    }
    const chosen = model.tokenizer.tokenText(id);
    if (!(chosen in top)) top[chosen] = t.logprob;
    out.top_logprobs.push(top);
  });
  return out;
}
