import type { TextModel } from "../../engine/text-model.ts";
import type { ChatMessageForTemplate } from "../../engine/tokenizer/text-tokenizer.ts";
import { invalidRequest } from "../shared/api-error.ts";

/**
 * A conversation's prompt ids, rendered by the model's chat template: what /v1/chat/completions feeds the model,
 * and what /v1/responses and /tokenize reuse so the three agree token for token. The caller has checked that the
 * model has a template; `param` names the request field the messages came from.
 */
export function chatPromptIds(model: TextModel, messages: ChatMessageForTemplate[], param: string, addGenerationPrompt = true): number[] {
  let rendered: string;
  try {
    rendered = model.tokenizer.renderChat(messages, addGenerationPrompt);
  } catch (err) {
    // Templates reject conversations they cannot express (e.g. roles that must alternate): the client's to fix.
    throw invalidRequest(`The chat template rejected these messages: ${(err as Error).message}`, param, "invalid_messages");
  }
  // The template already wrote any BOS it wants.
  return model.tokenizer.encode(rendered, false);
}
