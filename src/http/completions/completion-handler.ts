import type { GenerationRequest } from "../../engine/generation/generation-types.ts";
import type { TextModel } from "../../engine/text-model.ts";
import { invalidRequest } from "../shared/api-error.ts";
import { accumulateAll, ChoiceAccumulator } from "../shared/choice-accumulator.ts";
import { checkContext, checkN, checkSequencesFit, checkTokenIds, samplingParams, stopStrings } from "../shared/generation-params.ts";
import { newId, unixSeconds } from "../shared/ids.ts";
import { textModel, type ServerContext } from "../shared/server-context.ts";
import { sseResponse } from "../shared/sse-response.ts";
import { textPromptIds } from "../shared/text-prompt.ts";
import { linkedAbort, submitGeneration } from "../shared/submit-generation.ts";
import { completionBody, completionChunks, type CompletionFormat, type CompletionPrompt } from "./completion-format.ts";
import type { CompletionRequest, CompletionResponse } from "./completion-schema.ts";

/** POST /v1/completions: validate against the model, generate (streamed or not), answer in OpenAI's shape. */
export async function handleCompletion(ctx: ServerContext, body: CompletionRequest, clientSignal?: AbortSignal): Promise<Response | CompletionResponse> {
  if (body.suffix) throw invalidRequest("'suffix' (insertion) is not supported by this model.", "suffix", "unsupported_parameter");
  const model = await textModel(ctx, body.model, "/v1/completions");
  const prompts = toPrompts(ctx, model, body.prompt);
  const n = body.n ?? 1;
  const bestOf = body.best_of ?? n;
  checkN(n, "n", ctx.settings);
  checkN(bestOf, "best_of", ctx.settings);
  if (bestOf < n) throw invalidRequest(`'best_of' (${bestOf}) must be at least 'n' (${n}).`, "best_of");
  if (body.stream && bestOf > n) throw invalidRequest("'best_of' greater than 'n' cannot be used with 'stream'.", "best_of");
  checkSequencesFit(model, bestOf, body.best_of != null && bestOf > n ? "best_of" : "n");
  const maxTokens = body.max_tokens ?? 16;
  prompts.forEach((p) => checkContext(model, p.ids.length, maxTokens, "max_tokens"));
  const sampling = samplingParams(body, model);
  const stop = stopStrings(body.stop);
  const echo = body.echo ?? false;
  const logprobs = body.logprobs ?? null;

  const abort = linkedAbort(clientSignal);
  const requests: GenerationRequest[] = prompts.map((p) => ({
    promptIds: p.ids,
    n,
    bestOf,
    maxTokens,
    sampling,
    stop,
    ignoreEos: body.ignore_eos ?? false,
    logprobs,
    promptLogprobs: echo && logprobs !== null ? logprobs : null,
    signal: abort.signal,
  }));
  const events = submitGeneration(model, requests, abort);
  const format: CompletionFormat = { model, frame: { id: newId("cmpl"), created: unixSeconds(), model: body.model }, prompts, n, echo, logprobs };
  const acc = new ChoiceAccumulator({ prompts: prompts.length, choicesPerPrompt: n });
  if (body.stream) {
    return sseResponse(completionChunks(events, acc, { ...format, includeUsage: body.stream_options?.include_usage ?? false }), {
      pingMs: ctx.settings.ssePingMs,
      onClose: () => abort.abort(),
    });
  }
  try {
    return completionBody(await accumulateAll(events, acc), format);
  } finally {
    abort.abort(); // nothing is left running once the answer is built (or failed)
  }
}

function toPrompts(ctx: ServerContext, model: TextModel, prompt: CompletionRequest["prompt"]): CompletionPrompt[] {
  const max = ctx.settings.maxPromptsPerRequest;
  let list: (string | number[])[];
  if (typeof prompt === "string") list = [prompt];
  else if (prompt.length === 0) throw invalidRequest("'prompt' must not be an empty array.", "prompt");
  else if (typeof prompt[0] === "number") list = [prompt as number[]];
  else list = prompt as (string | number[])[];
  if (list.length > max) throw invalidRequest(`At most ${max} prompts per request (MAX_PROMPTS_PER_REQUEST), got ${list.length}.`, "prompt");
  // A string or a flat list of token ids is one prompt: errors name `prompt` itself, not an element of it.
  const single = typeof prompt === "string" || typeof prompt[0] === "number";
  return list.map((p, i) => {
    const param = single ? "prompt" : `prompt[${i}]`;
    if (typeof p === "string") return { ids: textPromptIds(model, p, param), text: p };
    if (p.length === 0) throw invalidRequest(`${param} is an empty token list.`, param);
    checkTokenIds(p, model, param);
    return { ids: p, text: model.tokenizer.decode(p, false) };
  });
}
