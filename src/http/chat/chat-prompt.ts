import type { TextModel } from "../../engine/text-model.ts";
import { templateTakesTools } from "../../engine/tools/tool-family.ts";
import { renderTools, type ToolHistoryMessage, type ToolRendering } from "../../engine/tools/tool-prompt.ts";
import { invalidRequest } from "../shared/api-error.ts";

/**
 * A conversation as the chat template takes it when the request offers no tools. History with tool calls goes
 * through the tools' rendering (the template's own convention, or our default format); anything else renders
 * as it is, so a template that knows no tools sees plain messages.
 */
export function historyRendering(template: string | null, history: ToolHistoryMessage[]): ToolRendering {
  const calls = history.some((m) => (m.tool_calls?.length ?? 0) > 0);
  if (calls || templateTakesTools(template)) return renderTools(template, history, null);
  return { messages: history.map((m) => ({ role: m.role, content: m.content, ...(m.name !== undefined ? { name: m.name } : {}) })), tools: null };
}

/**
 * A conversation's prompt ids, rendered by the model's chat template (with the tools it lists): what
 * /v1/chat/completions feeds the model, and what /v1/responses and /tokenize reuse so the three agree token for
 * token. The caller has checked that the model has a template; `param` names the request field the messages
 * came from.
 */
export function chatPromptIds(model: TextModel, rendering: ToolRendering, param: string, addGenerationPrompt = true): number[] {
  let rendered: string;
  try {
    rendered = model.tokenizer.renderChat(rendering.messages, addGenerationPrompt, rendering.tools);
  } catch (err) {
    // Templates reject conversations they cannot express (e.g. roles that must alternate): the client's to fix.
    throw invalidRequest(`The chat template rejected these messages: ${(err as Error).message}`, param, "invalid_messages");
  }
  // The template already wrote any BOS it wants.
  return model.tokenizer.encode(rendered, false);
}
