import type { GenerationEvent, GenerationRequest } from "../../engine/generation/generation-types.ts";
import type { TextModel } from "../../engine/text-model.ts";
import { observeEvents } from "../observability/observe-events.ts";
import { mergeEvents, type TaggedEvent } from "./merge-events.ts";

/**
 * Hands every prompt of a request to the model's scheduler. If one is refused (queue full), the ones
 * already accepted are cancelled so a refused request leaves nothing running.
 */
export function submitGeneration(model: TextModel, requests: GenerationRequest[], abort: AbortController): AsyncIterable<TaggedEvent> {
  const streams: AsyncIterable<GenerationEvent>[] = [];
  try {
    for (const r of requests) streams.push(model.scheduler.submit(r));
  } catch (err) {
    abort.abort();
    throw err;
  }
  // The tap records usage and latency, and ends the events at a shutdown's drain deadline (abort reason).
  return observeEvents(mergeEvents(streams), abort.signal, model.spec.id);
}

/** An AbortController that fires when the client's request is aborted (the connection closed). */
export function linkedAbort(signal: AbortSignal | undefined): AbortController {
  const abort = new AbortController();
  if (signal) {
    // The reason travels on: a shutdown's deadline aborts with an ApiError that the stream reports.
    if (signal.aborted) abort.abort(signal.reason);
    else signal.addEventListener("abort", () => abort.abort(signal.reason), { once: true });
  }
  return abort;
}
