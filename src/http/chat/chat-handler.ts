import { invalidRequest } from "../shared/api-error.ts";
import { accumulateAll, ChoiceAccumulator } from "../shared/choice-accumulator.ts";
import { checkContext, checkN, checkSequencesFit, samplingParams, stopStrings } from "../shared/generation-params.ts";
import { newId, unixSeconds } from "../shared/ids.ts";
import { textModel, type ServerContext } from "../shared/server-context.ts";
import { sseResponse } from "../shared/sse-response.ts";
import { linkedAbort, submitGeneration } from "../shared/submit-generation.ts";
import { chatBody, chatChunks, type ChatFormat } from "./chat-format.ts";
import { templateMessages } from "./chat-messages.ts";
import { chatPromptIds } from "./chat-prompt.ts";
import type { ChatRequest, ChatResponse } from "./chat-schema.ts";

/** POST /v1/chat/completions: render the model's chat template, generate, answer in OpenAI's chat shapes. */
export async function handleChat(ctx: ServerContext, body: ChatRequest, clientSignal?: AbortSignal): Promise<Response | ChatResponse> {
  refuseUnsupported(body);
  const model = await textModel(ctx, body.model, "/v1/chat/completions");
  if (!model.tokenizer.chatTemplate) {
    throw invalidRequest(
      `Model '${body.model}' has no chat template, so it cannot serve /v1/chat/completions. Use /v1/completions with a text prompt, or set 'chat_template' in its registry entry.`,
      "model",
      "model_not_chat_capable",
    );
  }
  const promptIds = chatPromptIds(model, templateMessages(body.messages), "messages");
  const n = body.n ?? 1;
  checkN(n, "n", ctx.settings);
  checkSequencesFit(model, n, "n");
  const requested = body.max_completion_tokens ?? body.max_tokens ?? null;
  const maxTokens = requested ?? Math.max(0, model.contextLength - promptIds.length);
  if (requested === null) checkContext(model, promptIds.length, 1, "messages"); // room for at least one token
  else checkContext(model, promptIds.length, requested, body.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens");
  const wantLogprobs = body.logprobs ?? false;
  if (body.top_logprobs != null && !wantLogprobs) throw invalidRequest("'top_logprobs' requires 'logprobs': true.", "top_logprobs");

  const abort = linkedAbort(clientSignal);
  const events = submitGeneration(model, [{
    promptIds,
    n,
    maxTokens,
    sampling: samplingParams(body, model),
    stop: stopStrings(body.stop),
    ignoreEos: body.ignore_eos ?? false,
    logprobs: wantLogprobs ? (body.top_logprobs ?? 0) : null,
    promptLogprobs: null,
    signal: abort.signal,
  }], abort);
  const format: ChatFormat = { model, frame: { id: newId("chatcmpl"), created: unixSeconds(), model: body.model }, n, logprobs: wantLogprobs };
  const acc = new ChoiceAccumulator({ prompts: 1, choicesPerPrompt: n });
  if (body.stream) {
    return sseResponse(chatChunks(events, acc, { ...format, includeUsage: body.stream_options?.include_usage ?? false }), {
      pingMs: ctx.settings.ssePingMs,
      onClose: () => abort.abort(),
    });
  }
  try {
    return chatBody(await accumulateAll(events, acc), format);
  } finally {
    abort.abort();
  }
}

function refuseUnsupported(body: ChatRequest): void {
  const fmt = body.response_format?.type;
  if (fmt !== undefined && fmt !== "text") {
    throw invalidRequest(`response_format '${fmt}' is not supported yet; only {"type": "text"} is.`, "response_format", "unsupported_parameter");
  }
  if ((body.tools && body.tools.length > 0) || (body.functions && body.functions.length > 0)) {
    throw invalidRequest("Tool calling ('tools') is not supported yet by this server.", body.tools ? "tools" : "functions", "unsupported_parameter");
  }
  if (body.tool_choice !== undefined && body.tool_choice !== null && body.tool_choice !== "none") {
    throw invalidRequest("'tool_choice' is not supported yet by this server.", "tool_choice", "unsupported_parameter");
  }
}
