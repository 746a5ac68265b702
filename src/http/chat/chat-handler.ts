import type { GeneratedToken } from "../../engine/generation/generation-types.ts";
import type { TextModel } from "../../engine/text-model.ts";
import { invalidRequest } from "../shared/api-error.ts";
import { checkContext, checkN, samplingParams, stopStrings } from "../shared/generation-params.ts";
import { newId, unixSeconds } from "../shared/ids.ts";
import type { TaggedEvent } from "../shared/merge-events.ts";
import { textModel, type ServerContext } from "../shared/server-context.ts";
import { sseResponse } from "../shared/sse-response.ts";
import { linkedAbort, submitGeneration } from "../shared/submit-generation.ts";
import { chatLogprobs } from "./chat-logprobs.ts";
import { templateMessages } from "./chat-messages.ts";
import type { ChatChunk, ChatRequest, ChatResponse } from "./chat-schema.ts";

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
  const messages = templateMessages(body.messages);
  let rendered: string;
  try {
    rendered = model.tokenizer.renderChat(messages, true);
  } catch (err) {
    // Templates reject conversations they cannot express (e.g. roles that must alternate): the client's to fix.
    throw invalidRequest(`The chat template rejected these messages: ${(err as Error).message}`, "messages", "invalid_messages");
  }
  const promptIds = model.tokenizer.encode(rendered, false);
  const n = body.n ?? 1;
  checkN(n, "n", ctx.settings);
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
    scoreSequences: false,
    signal: abort.signal,
  }], abort);
  const frame = { id: newId("chatcmpl"), created: unixSeconds(), model: body.model };
  if (body.stream) {
    return sseResponse(streamChunks(model, frame, n, wantLogprobs, body.stream_options?.include_usage ?? false, events), {
      pingMs: ctx.settings.ssePingMs,
      onClose: () => abort.abort(),
    });
  }
  try {
    return await collect(model, frame, n, wantLogprobs, events);
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

async function collect(model: TextModel, frame: { id: string; created: number; model: string }, n: number, wantLogprobs: boolean, events: AsyncIterable<TaggedEvent>): Promise<ChatResponse> {
  const texts = new Array<string>(n).fill("");
  const tokens: GeneratedToken[][] = Array.from({ length: n }, () => []);
  const finish = new Array<"stop" | "length" | null>(n).fill(null);
  let promptTokens = 0;
  let completionTokens = 0;
  for await (const { event } of events) {
    if (event.type === "error") throw event.error;
    if (event.type === "prompt") promptTokens += event.promptTokens;
    else if (event.type === "delta") {
      texts[event.index] += event.text;
      tokens[event.index]!.push(...event.tokens);
    } else {
      finish[event.index] = event.reason;
      completionTokens += event.completionTokens;
    }
  }
  return {
    id: frame.id,
    object: "chat.completion",
    created: frame.created,
    model: frame.model,
    choices: texts.map((content, index) => ({
      index,
      message: { role: "assistant", content, refusal: null },
      logprobs: wantLogprobs ? { content: chatLogprobs(model, tokens[index]!), refusal: null } : null,
      finish_reason: finish[index] ?? "length",
    })),
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}

async function* streamChunks(
  model: TextModel,
  frame: { id: string; created: number; model: string },
  n: number,
  wantLogprobs: boolean,
  includeUsage: boolean,
  events: AsyncIterable<TaggedEvent>,
): AsyncIterable<ChatChunk> {
  const chunk = (choices: ChatChunk["choices"], usage?: ChatChunk["usage"]): ChatChunk => ({
    id: frame.id,
    object: "chat.completion.chunk",
    created: frame.created,
    model: frame.model,
    choices,
    ...(includeUsage ? { usage: usage ?? null } : {}),
  });
  for (let index = 0; index < n; index++) {
    yield chunk([{ index, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]);
  }
  let promptTokens = 0;
  let completionTokens = 0;
  for await (const { event } of events) {
    if (event.type === "error") throw event.error;
    if (event.type === "prompt") promptTokens += event.promptTokens;
    else if (event.type === "delta") {
      if (event.text === "" && !wantLogprobs) continue;
      const logprobs = wantLogprobs ? { content: chatLogprobs(model, event.tokens), refusal: null } : null;
      yield chunk([{ index: event.index, delta: { content: event.text }, logprobs, finish_reason: null }]);
    } else {
      completionTokens += event.completionTokens;
      yield chunk([{ index: event.index, delta: {}, logprobs: null, finish_reason: event.reason }]);
    }
  }
  if (includeUsage) yield chunk([], { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens });
}
