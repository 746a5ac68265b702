import type { GeneratedToken, GenerationRequest } from "../../engine/generation/generation-types.ts";
import type { TextModel } from "../../engine/text-model.ts";
import { invalidRequest } from "../shared/api-error.ts";
import { checkContext, checkN, checkTokenIds, samplingParams, stopStrings } from "../shared/generation-params.ts";
import { newId, unixSeconds } from "../shared/ids.ts";
import type { TaggedEvent } from "../shared/merge-events.ts";
import { textModel, type ServerContext } from "../shared/server-context.ts";
import { sseResponse } from "../shared/sse-response.ts";
import { linkedAbort, submitGeneration } from "../shared/submit-generation.ts";
import { promptOffsets } from "../shared/token-text.ts";
import { legacyLogprobs } from "./completion-logprobs.ts";
import type { CompletionChoice, CompletionRequest, CompletionResponse } from "./completion-schema.ts";

interface Prompt {
  ids: number[];
  text: string;
}

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
  const maxTokens = body.max_tokens ?? 16;
  prompts.forEach((p) => checkContext(model, p.ids.length, maxTokens, "max_tokens"));
  const sampling = samplingParams(body, model);
  const stop = stopStrings(body.stop);
  const echo = body.echo ?? false;
  const logprobs = body.logprobs ?? null;

  const abort = linkedAbort(clientSignal);
  const requests: GenerationRequest[] = prompts.map((p) => ({
    promptIds: p.ids,
    n: bestOf,
    maxTokens,
    sampling,
    stop,
    ignoreEos: body.ignore_eos ?? false,
    logprobs,
    promptLogprobs: echo && logprobs !== null ? logprobs : null,
    scoreSequences: bestOf > n,
    signal: abort.signal,
  }));
  const events = submitGeneration(model, requests, abort);
  const id = newId("cmpl");
  const created = unixSeconds();
  const frame = { id, created, model: body.model };
  if (body.stream) {
    return sseResponse(streamChunks(model, frame, prompts, n, echo, logprobs, body.stream_options?.include_usage ?? false, events), {
      pingMs: ctx.settings.ssePingMs,
      onClose: () => abort.abort(),
    });
  }
  try {
    return await collect(model, frame, prompts, n, bestOf, echo, logprobs, events);
  } finally {
    abort.abort(); // nothing is left running once the answer is built (or failed)
  }
}

function toPrompts(ctx: ServerContext, model: TextModel, prompt: CompletionRequest["prompt"]): Prompt[] {
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
    if (typeof p === "string") {
      let ids = model.tokenizer.encode(p, true);
      if (ids.length === 0) {
        // As OpenAI: an empty prompt means the start of a new document.
        if (model.documentStartId === null) throw invalidRequest("The prompt is empty and this model has no BOS token to start from.", param);
        ids = [model.documentStartId];
      }
      return { ids, text: p };
    }
    if (p.length === 0) throw invalidRequest(`${param} is an empty token list.`, param);
    checkTokenIds(p, model, param);
    return { ids: p, text: model.tokenizer.decode(p, false) };
  });
}

interface ChoiceState {
  text: string;
  tokens: GeneratedToken[];
  offsets: number[];
  finish: "stop" | "length" | null;
  completionTokens: number;
  score: number;
}

async function collect(
  model: TextModel,
  frame: { id: string; created: number; model: string },
  prompts: Prompt[],
  n: number,
  bestOf: number,
  echo: boolean,
  logprobs: number | null,
  events: AsyncIterable<TaggedEvent>,
): Promise<CompletionResponse> {
  const states: ChoiceState[][] = prompts.map(() =>
    Array.from({ length: bestOf }, () => ({ text: "", tokens: [], offsets: [], finish: null, completionTokens: 0, score: 0 })),
  );
  const promptLogprobs: ((GeneratedToken | null)[] | null)[] = prompts.map(() => null);
  let promptTokens = 0;
  for await (const { prompt, event } of events) {
    if (event.type === "error") throw event.error;
    if (event.type === "prompt") {
      promptTokens += event.promptTokens;
      promptLogprobs[prompt] = event.logprobs;
      continue;
    }
    const s = states[prompt]![event.index]!;
    if (event.type === "delta") {
      for (const t of event.tokens) {
        s.tokens.push(t);
        s.offsets.push(s.text.length);
      }
      s.text += event.text;
    } else {
      s.finish = event.reason;
      s.completionTokens = event.completionTokens;
      s.score = event.cumulativeLogprob / Math.max(1, event.completionTokens);
    }
  }
  const choices: CompletionChoice[] = [];
  let completionTokens = 0;
  prompts.forEach((p, pi) => {
    const all = states[pi]!;
    for (const s of all) completionTokens += s.completionTokens;
    // best_of: the n candidates with the highest mean token logprob, in rank order.
    const chosen = bestOf > n ? [...all].sort((a, b) => b.score - a.score).slice(0, n) : all;
    chosen.forEach((s, j) => {
      const prefix = echo ? p.text : "";
      let lp = null;
      if (logprobs !== null) {
        const head = echo ? (promptLogprobs[pi] ?? p.ids.map(() => null)) : [];
        const headOffsets = echo ? promptOffsets(model, p.ids) : [];
        lp = legacyLogprobs(model, [...head, ...s.tokens], p.ids, [...headOffsets, ...s.offsets.map((o) => o + prefix.length)]);
      }
      choices.push({ index: pi * n + j, text: prefix + s.text, logprobs: lp, finish_reason: s.finish ?? "length" });
    });
  });
  return {
    id: frame.id,
    object: "text_completion",
    created: frame.created,
    model: frame.model,
    choices,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}

async function* streamChunks(
  model: TextModel,
  frame: { id: string; created: number; model: string },
  prompts: Prompt[],
  n: number,
  echo: boolean,
  logprobs: number | null,
  includeUsage: boolean,
  events: AsyncIterable<TaggedEvent>,
): AsyncIterable<CompletionResponse> {
  const chunk = (choices: CompletionChoice[], usage?: CompletionResponse["usage"]): CompletionResponse => ({
    id: frame.id,
    object: "text_completion",
    created: frame.created,
    model: frame.model,
    choices,
    ...(usage !== undefined ? { usage } : {}),
  });
  const emitted = prompts.map(() => new Array<number>(n).fill(0));
  let promptTokens = 0;
  let completionTokens = 0;
  for await (const { prompt, event } of events) {
    if (event.type === "error") throw event.error;
    if (event.type === "prompt") {
      promptTokens += event.promptTokens;
      if (!echo) continue;
      const p = prompts[prompt]!;
      const lp = logprobs !== null ? legacyLogprobs(model, event.logprobs ?? p.ids.map(() => null), p.ids, promptOffsets(model, p.ids)) : null;
      for (let j = 0; j < n; j++) {
        emitted[prompt]![j] = p.text.length;
        yield chunk([{ index: prompt * n + j, text: p.text, logprobs: lp, finish_reason: null }], includeUsage ? null : undefined);
      }
      continue;
    }
    const index = prompt * n + event.index;
    if (event.type === "delta") {
      if (event.text === "" && logprobs === null) continue;
      const at = emitted[prompt]![event.index]!;
      emitted[prompt]![event.index] = at + event.text.length;
      const lp = logprobs !== null ? legacyLogprobs(model, event.tokens, null, event.tokens.map(() => at)) : null;
      yield chunk([{ index, text: event.text, logprobs: lp, finish_reason: null }], includeUsage ? null : undefined);
    } else {
      completionTokens += event.completionTokens;
      yield chunk([{ index, text: "", logprobs: null, finish_reason: event.reason }], includeUsage ? null : undefined);
    }
  }
  if (includeUsage) {
    yield chunk([], { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens });
  }
}
