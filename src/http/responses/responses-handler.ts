import type { TextModel } from "../../engine/text-model.ts";
import type { Caller } from "../auth/caller.ts";
import type { ToolPlan } from "../../engine/tools/tool-plan.ts";
import { chatPromptIds, historyRendering } from "../chat/chat-prompt.ts";
import { ApiError, invalidRequest } from "../shared/api-error.ts";
import { ChoiceAccumulator } from "../shared/choice-accumulator.ts";
import { checkContext, samplingParams } from "../shared/generation-params.ts";
import { textModel, type ServerContext } from "../shared/server-context.ts";
import { sseResponse } from "../shared/sse-response.ts";
import { linkedAbort, submitGeneration } from "../shared/submit-generation.ts";
import { textPromptIds } from "../shared/text-prompt.ts";
import { grammarConstraints, outputGrammar, specialTokenTexts } from "../shared/structured-output.ts";
import { functionCalls, plainText } from "./output-segments.ts";
import { responseHead } from "./response-head.ts";
import { parseInput, templateConversation } from "./response-input.ts";
import type { ConversationItem } from "./response-items-schema.ts";
import { outputLogprobs, ResponseOutput } from "./response-output.ts";
import { responseEvents, type ResponseRun } from "./response-run.ts";
import type { ResponseObject } from "./response-schema.ts";
import type { ResponseStore, StoredResponse } from "./response-store.ts";
import { responseToolPlan, textFormatGrammar } from "./response-tools.ts";
import { checkMetadata, refuseUnsupported } from "./response-unsupported.ts";
import type { ResponsesRequest } from "./responses-request-schema.ts";

export interface ResponsesContext extends ServerContext {
  store: ResponseStore;
}

/**
 * POST /v1/responses: the conversation (earlier turns, instructions, input, function tools) rendered as chat
 * renders it — or, for a model without a chat template, a string input as a plain prompt — generated once (held
 * to text.format or a forced function call, as chat's response_format and tool_choice), answered as a Response
 * or as its event stream, and kept for GET and previous_response_id unless `store` is false.
 */
export async function handleCreateResponse(ctx: ResponsesContext, body: ResponsesRequest, caller: Caller, clientSignal?: AbortSignal): Promise<Response | ResponseObject> {
  refuseUnsupported(body);
  const metadata = checkMetadata(body.metadata);
  const earlier = previousResponse(ctx.store, body.previous_response_id, caller);
  const model = await textModel(ctx, body.model, "/v1/responses");
  const input = parseInput(body.input);
  const format = textFormatGrammar(body.text?.format);
  const { promptIds, plan } = responsePrompt(model, body, earlier?.conversation ?? [], input);
  const requested = body.max_output_tokens ?? null;
  if (requested === null) checkContext(model, promptIds.length, 1, "input"); // room for at least one token
  else checkContext(model, promptIds.length, requested, "max_output_tokens");
  const wantLogprobs = (body.include ?? []).includes("message.output_text.logprobs") || body.top_logprobs != null;
  const grammar = outputGrammar(format, plan);
  const constraints = await grammarConstraints(model, grammar, body.ignore_eos ?? false, plan?.grammar ? "tools" : "text.format");

  const abort = linkedAbort(clientSignal);
  const events = submitGeneration(model, [{
    promptIds,
    n: 1,
    maxTokens: requested ?? model.contextLength - promptIds.length,
    sampling: samplingParams(body, model),
    stop: [],
    ignoreEos: body.ignore_eos ?? false,
    logprobs: wantLogprobs ? (body.top_logprobs ?? 0) : null,
    promptLogprobs: null,
    signal: abort.signal,
    constraints,
  }], abort);

  const stream = body.stream ?? false;
  const outcome: { response?: ResponseObject; failure?: unknown } = {};
  const run: ResponseRun = {
    head: responseHead(body, metadata),
    output: new ResponseOutput(wantLogprobs ? (tokens) => outputLogprobs(model, tokens) : null),
    segmenter: plan?.parser ? functionCalls() : plainText(),
    onFinal: (response, failure) => {
      outcome.response = response;
      outcome.failure = failure;
      // Not kept: a response whose client left (its generation was cut, so its status says nothing true), and a
      // failed collected answer (it is answered as an HTTP error). A failed stream's id was seen: it is kept.
      if (body.store === false || abort.signal.aborted || (failure !== null && !stream)) return;
      ctx.store.put({ response, input, conversation: [...(earlier?.conversation ?? []), ...input, ...response.output], owner: caller.keyDigest });
    },
  };
  const acc = new ChoiceAccumulator({ prompts: 1, choicesPerPrompt: 1, toolCalls: plan?.parser ? { reader: plan.parser, finishReason: plan.callsFinishReason } : null });
  const all = responseEvents(events, acc, run);
  if (stream) return sseResponse(all, { pingMs: ctx.settings.ssePingMs, onClose: () => abort.abort(), namedEvents: true });
  try {
    for await (const _ of all) {
      // The collected answer is the run's final response.
    }
  } finally {
    abort.abort();
  }
  if (outcome.failure != null) throw outcome.failure;
  return outcome.response!;
}

/** The stored response a request continues; another key's, an expired or an unknown one is not found. */
function previousResponse(store: ResponseStore, id: string | null | undefined, caller: Caller): StoredResponse | null {
  if (id == null) return null;
  const found = store.get(id, caller.keyDigest);
  if (found) return found;
  throw new ApiError({
    status: 400,
    type: "invalid_request_error",
    param: "previous_response_id",
    code: "previous_response_not_found",
    message: `Previous response with id '${id.slice(0, 100)}' not found.`,
  });
}

/**
 * The prompt ids — the chat template's rendering of the conversation and the function tools, or a
 * completion-only model's plain prompt — and the tool plan.
 */
function responsePrompt(model: TextModel, body: ResponsesRequest, earlier: readonly ConversationItem[], input: ConversationItem[]): { promptIds: number[]; plan: ToolPlan | null } {
  const template = model.tokenizer.chatTemplate;
  if (template) {
    const history = templateConversation(body.instructions ?? null, earlier, input);
    const plan = responseToolPlan(template, specialTokenTexts(model), history, body);
    return { promptIds: chatPromptIds(model, plan?.rendering ?? historyRendering(template, history), "input"), plan };
  }
  const tools = body.tools != null && body.tools.length > 0;
  if (typeof body.input === "string" && body.instructions == null && body.previous_response_id == null && !tools) return { promptIds: textPromptIds(model, body.input, "input"), plan: null };
  const structured = tools ? "tools" : body.previous_response_id != null ? "previous_response_id" : body.instructions != null ? "instructions" : "input";
  throw invalidRequest(
    `Model '${body.model}' has no chat template, so it takes only a string 'input', as a plain prompt; '${structured}' needs a chat model. Use a model with a chat template (or set 'chat_template' in this one's registry entry).`,
    structured,
    "model_not_chat_capable",
  );
}
