import type { LoadedModel } from "../../engine/model-pool.ts";
import { invalidRequest } from "../shared/api-error.ts";
import { templateMessages } from "../chat/chat-messages.ts";
import { toolPlan } from "../../engine/tools/tool-plan.ts";
import { chatPromptIds, historyRendering } from "../chat/chat-prompt.ts";
import { specialTokenTexts } from "../shared/structured-output.ts";
import type { ServerContext } from "../shared/server-context.ts";
import type { DetokenizeRequest, DetokenizeResponse, TokenizeRequest, TokenizeResponse } from "./tokenize-schema.ts";

/** POST /tokenize: the ids the server would feed the model for this prompt or conversation (with its tools). */
export async function handleTokenize(ctx: ServerContext, body: TokenizeRequest): Promise<TokenizeResponse> {
  const given = [body.prompt != null && "prompt", body.text != null && "text", body.messages != null && "messages"].filter((x): x is string => x !== false);
  if (given.length !== 1) {
    throw invalidRequest(
      given.length === 0 ? "Give one of 'prompt', 'text' or 'messages'." : `Give only one of 'prompt', 'text' or 'messages', not ${given.map((g) => `'${g}'`).join(" and ")}.`,
      given[1] ?? "prompt",
    );
  }
  const model = await ctx.pool.get(body.model);
  let tokens: number[];
  if (body.messages != null) {
    if (model.kind !== "text-generation" || !model.tokenizer.chatTemplate) {
      throw invalidRequest(`Model '${body.model}' has no chat template; tokenize a 'prompt' instead.`, "messages", "model_not_chat_capable");
    }
    const template = model.tokenizer.chatTemplate;
    const history = templateMessages(body.messages);
    // With `tools` (and tool_choice) the count is the one a chat request with the same tools gets.
    const plan = toolPlan(template, specialTokenTexts(model), history, body);
    tokens = chatPromptIds(model, plan?.rendering ?? historyRendering(template, history), "messages", body.add_generation_prompt ?? true);
  } else {
    tokens = model.tokenizer.encode((body.prompt ?? body.text)!, body.add_special_tokens ?? true);
  }
  const out: TokenizeResponse = { tokens, count: tokens.length, max_model_len: model.contextLength };
  if (body.return_token_strs) out.token_strs = tokens.map((id) => model.tokenizer.tokenText(id));
  return out;
}

/** POST /detokenize: the text of token ids; an id outside the vocabulary is a 400 naming its position. */
export async function handleDetokenize(ctx: ServerContext, body: DetokenizeRequest): Promise<DetokenizeResponse> {
  const model: LoadedModel = await ctx.pool.get(body.model);
  const tok = model.tokenizer;
  body.tokens.forEach((id, i) => {
    if (!tok.hasToken(id)) {
      throw invalidRequest(`Token id ${id} at tokens[${i}] is outside the vocabulary of model '${body.model}' (0..${tok.vocabSize - 1}).`, `tokens[${i}]`, "invalid_token_id");
    }
  });
  return { prompt: tok.decode(body.tokens, false) };
}
