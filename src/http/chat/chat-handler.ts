import { responseFormatGrammar } from "../../engine/grammar/response-format.ts";
import { toolPlan } from "../../engine/tools/tool-plan.ts";
import { invalidRequest } from "../shared/api-error.ts";
import { accumulateAll, ChoiceAccumulator } from "../shared/choice-accumulator.ts";
import { checkContext, checkN, checkSequencesFit, samplingParams, stopStrings } from "../shared/generation-params.ts";
import { newId, unixSeconds } from "../shared/ids.ts";
import { textModel, type ServerContext } from "../shared/server-context.ts";
import { sseResponse } from "../shared/sse-response.ts";
import { grammarConstraints, outputGrammar, specialTokenTexts } from "../shared/structured-output.ts";
import { linkedAbort, submitGeneration } from "../shared/submit-generation.ts";
import { chatBody, chatChunks, type ChatFormat } from "./chat-format.ts";
import { templateMessages } from "./chat-messages.ts";
import { chatPromptIds, historyRendering } from "./chat-prompt.ts";
import type { ChatRequest, ChatResponse } from "./chat-schema.ts";

/**
 * POST /v1/chat/completions: render the model's chat template (with any tools), generate — held to the response
 * format or a forced tool call when the request asks — and answer in OpenAI's chat shapes, tool calls parsed out
 * of the text in the model family's format.
 */
export async function handleChat(ctx: ServerContext, body: ChatRequest, clientSignal?: AbortSignal): Promise<Response | ChatResponse> {
  refuseUnsupported(body);
  const model = await textModel(ctx, body.model, "/v1/chat/completions");
  const template = model.tokenizer.chatTemplate;
  if (!template) {
    throw invalidRequest(
      `Model '${body.model}' has no chat template, so it cannot serve /v1/chat/completions. Use /v1/completions with a text prompt, or set 'chat_template' in its registry entry.`,
      "model",
      "model_not_chat_capable",
    );
  }
  const history = templateMessages(body.messages);
  const format = responseFormatGrammar(body.response_format);
  const plan = toolPlan(template, specialTokenTexts(model), history, body);
  const promptIds = chatPromptIds(model, plan?.rendering ?? historyRendering(template, history), "messages");
  const n = body.n ?? 1;
  checkN(n, "n", ctx.settings);
  checkSequencesFit(model, n, "n");
  const requested = body.max_completion_tokens ?? body.max_tokens ?? null;
  const maxTokens = requested ?? Math.max(0, model.contextLength - promptIds.length);
  if (requested === null) checkContext(model, promptIds.length, 1, "messages"); // room for at least one token
  else checkContext(model, promptIds.length, requested, body.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens");
  const wantLogprobs = body.logprobs ?? false;
  if (body.top_logprobs != null && !wantLogprobs) throw invalidRequest("'top_logprobs' requires 'logprobs': true.", "top_logprobs");
  const grammar = outputGrammar(format, plan);
  const constraints = await grammarConstraints(model, grammar, body.ignore_eos ?? false, plan?.grammar ? "tools" : "response_format");

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
    constraints,
  }], abort);
  const shape: ChatFormat = { model, frame: { id: newId("chatcmpl"), created: unixSeconds(), model: body.model }, n, logprobs: wantLogprobs, tools: plan?.parser != null };
  const acc = new ChoiceAccumulator({
    prompts: 1,
    choicesPerPrompt: n,
    toolCalls: plan?.parser ? { reader: plan.parser, finishReason: plan.callsFinishReason } : null,
  });
  if (body.stream) {
    return sseResponse(chatChunks(events, acc, { ...shape, includeUsage: body.stream_options?.include_usage ?? false }), {
      pingMs: ctx.settings.ssePingMs,
      onClose: () => abort.abort(),
    });
  }
  try {
    return chatBody(await accumulateAll(events, acc), shape);
  } finally {
    abort.abort();
  }
}

/** The legacy function-calling parameters (before `tools`) are refused by name; `tools` does what they did. */
function refuseUnsupported(body: ChatRequest): void {
  if (body.functions && body.functions.length > 0) {
    throw invalidRequest("The legacy 'functions' parameter is not supported; send 'tools' with {\"type\": \"function\", \"function\": …} entries.", "functions", "unsupported_parameter");
  }
  if (body.function_call != null) {
    throw invalidRequest("The legacy 'function_call' parameter is not supported; use 'tool_choice'.", "function_call", "unsupported_parameter");
  }
}
