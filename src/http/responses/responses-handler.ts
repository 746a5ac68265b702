import type { TextModel } from "../../engine/text-model.ts";
import type { Caller } from "../auth/caller.ts";
import { chatPromptIds } from "../chat/chat-prompt.ts";
import { ApiError, invalidRequest } from "../shared/api-error.ts";
import { ChoiceAccumulator } from "../shared/choice-accumulator.ts";
import { checkContext, samplingParams } from "../shared/generation-params.ts";
import { textModel, type ServerContext } from "../shared/server-context.ts";
import { sseResponse } from "../shared/sse-response.ts";
import { linkedAbort, submitGeneration } from "../shared/submit-generation.ts";
import { textPromptIds } from "../shared/text-prompt.ts";
import { plainText } from "./output-segments.ts";
import { responseHead } from "./response-head.ts";
import { parseInput, templateConversation } from "./response-input.ts";
import type { ConversationItem } from "./response-items-schema.ts";
import { outputLogprobs, ResponseOutput } from "./response-output.ts";
import { responseEvents, type ResponseRun } from "./response-run.ts";
import type { ResponseObject } from "./response-schema.ts";
import type { ResponseStore, StoredResponse } from "./response-store.ts";
import { checkMetadata, refuseUnsupported } from "./response-unsupported.ts";
import type { ResponsesRequest } from "./responses-request-schema.ts";

export interface ResponsesContext extends ServerContext {
  store: ResponseStore;
}

/**
 * POST /v1/responses: the conversation (earlier turns, instructions, input) rendered as chat renders it — or,
 * for a model without a chat template, a string input as a plain prompt — generated once, answered as a
 * Response or as its event stream, and kept for GET and previous_response_id unless `store` is false.
 */
export async function handleCreateResponse(ctx: ResponsesContext, body: ResponsesRequest, caller: Caller, clientSignal?: AbortSignal): Promise<Response | ResponseObject> {
  refuseUnsupported(body);
  const metadata = checkMetadata(body.metadata);
  const earlier = previousResponse(ctx.store, body.previous_response_id, caller);
  const model = await textModel(ctx, body.model, "/v1/responses");
  const input = parseInput(body.input);
  const promptIds = responsePrompt(model, body, earlier?.conversation ?? [], input);
  const requested = body.max_output_tokens ?? null;
  if (requested === null) checkContext(model, promptIds.length, 1, "input"); // room for at least one token
  else checkContext(model, promptIds.length, requested, "max_output_tokens");
  const wantLogprobs = (body.include ?? []).includes("message.output_text.logprobs") || body.top_logprobs != null;

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
    // Structured output plugs in here: text.format's TokenConstraint factory, as chat's response_format.
    constraints: null,
  }], abort);

  const stream = body.stream ?? false;
  const outcome: { response?: ResponseObject; failure?: unknown } = {};
  const run: ResponseRun = {
    head: responseHead(body, metadata),
    output: new ResponseOutput(wantLogprobs ? (tokens) => outputLogprobs(model, tokens) : null),
    // Tools plug in here: a streaming tool-call segmenter turns calls in the text into function_call items.
    segmenter: plainText(),
    onFinal: (response, failure) => {
      outcome.response = response;
      outcome.failure = failure;
      // Not kept: a response whose client left (its generation was cut, so its status says nothing true), and a
      // failed collected answer (it is answered as an HTTP error). A failed stream's id was seen: it is kept.
      if (body.store === false || abort.signal.aborted || (failure !== null && !stream)) return;
      ctx.store.put({ response, input, conversation: [...(earlier?.conversation ?? []), ...input, ...response.output], owner: caller.keyDigest });
    },
  };
  const all = responseEvents(events, new ChoiceAccumulator({ prompts: 1, choicesPerPrompt: 1 }), run);
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

/** The prompt ids: the chat template's rendering of the conversation, or a completion-only model's plain prompt. */
function responsePrompt(model: TextModel, body: ResponsesRequest, earlier: readonly ConversationItem[], input: ConversationItem[]): number[] {
  if (model.tokenizer.chatTemplate) return chatPromptIds(model, templateConversation(body.instructions ?? null, earlier, input), "input");
  if (typeof body.input === "string" && body.instructions == null && body.previous_response_id == null) return textPromptIds(model, body.input, "input");
  const structured = body.previous_response_id != null ? "previous_response_id" : body.instructions != null ? "instructions" : "input";
  throw invalidRequest(
    `Model '${body.model}' has no chat template, so it takes only a string 'input', as a plain prompt; '${structured}' needs a chat model. Use a model with a chat template (or set 'chat_template' in this one's registry entry).`,
    structured,
    "model_not_chat_capable",
  );
}
