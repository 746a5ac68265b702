import type { Usage } from "../shared/choice-accumulator.ts";
import { accumulateEach, type ChoiceAccumulator } from "../shared/choice-accumulator.ts";
import { reported } from "../shared/error-response.ts";
import { unixSeconds } from "../shared/ids.ts";
import type { TaggedEvent } from "../shared/merge-events.ts";
import type { OutputSegmenter } from "./output-segments.ts";
import type { ResponseStreamEvent, UnnumberedEvent } from "./response-events-schema.ts";
import type { ResponseOutput } from "./response-output.ts";
import type { ResponseError, ResponseObject, ResponseUsage } from "./response-schema.ts";

/** The fields of a response fixed by its request (everything but its progress). */
export type ResponseHead = Omit<ResponseObject, "status" | "error" | "incomplete_details" | "output" | "output_text" | "completed_at" | "usage">;

export interface ResponseRun {
  head: ResponseHead;
  output: ResponseOutput;
  segmenter: OutputSegmenter;
  /**
   * Called with the final response just before its last event goes out (so a client that reads the event and
   * then GETs the response finds it), with the failure when it failed. Not called when the client left first.
   */
  onFinal: (response: ResponseObject, failure: unknown) => void;
}

/**
 * The one loop over a response's generation events, for both ways of answering: it reads them through the
 * request's ChoiceAccumulator (which reads tool calls out of the text when the request has tools), turns its
 * parts into output items through the segmenter, and yields the
 * documented event sequence with increasing sequence numbers — created, in_progress, the items' events, then
 * completed, incomplete (the output hit its token limit) or failed (an error after the start). A collected
 * answer runs it to the end and answers with the final response.
 */
export async function* responseEvents(events: AsyncIterable<TaggedEvent>, acc: ChoiceAccumulator, run: ResponseRun): AsyncGenerator<ResponseStreamEvent> {
  let sequence = 0;
  // `type` then `sequence_number` lead each event, as OpenAI writes them.
  const numbered = ({ type, ...fields }: UnnumberedEvent) => ({ type, sequence_number: sequence++, ...fields }) as ResponseStreamEvent;
  const snapshot = (): ResponseObject => responseObject(run, "in_progress");
  yield numbered({ type: "response.created", response: snapshot() });
  yield numbered({ type: "response.in_progress", response: snapshot() });
  let final: ResponseObject;
  let failure: unknown = null;
  try {
    for await (const u of accumulateEach(events, acc)) {
      if (u.kind === "prompt") continue;
      for (const s of run.segmenter.push(u.parts, u.kind === "delta" ? u.tokens : [])) for (const e of run.output.apply(s)) yield numbered(e);
    }
    // A choice without a finish event ended with its events: it ran out of room, as a "length" finish.
    const status = acc.choices[0]!.finishReason === "stop" ? "completed" : "incomplete";
    for (const e of run.output.close(status)) yield numbered(e);
    final = responseObject(run, status, { usage: responseUsage(acc.usage()) });
  } catch (err) {
    failure = err;
    for (const e of run.output.close("incomplete")) yield numbered(e);
    final = responseObject(run, "failed", { error: responseError(err), usage: responseUsage(acc.usage()) });
  }
  run.onFinal(final, failure);
  const type = final.status === "completed" ? "response.completed" : final.status === "incomplete" ? "response.incomplete" : "response.failed";
  yield numbered({ type, response: final });
}

/** The response as it stands: its identity and progress first, then what the request fixed, then its output. */
function responseObject(run: ResponseRun, status: ResponseObject["status"], end: Partial<Pick<ResponseObject, "error" | "usage">> = {}): ResponseObject {
  const { id, object, created_at, ...fixed } = run.head;
  return {
    id,
    object,
    created_at,
    status,
    completed_at: status === "completed" ? unixSeconds() : null,
    error: end.error ?? null,
    incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
    ...fixed,
    output: structuredClone(run.output.items),
    output_text: run.output.text(),
    ...(end.usage ? { usage: end.usage } : {}),
  };
}

/** The engine's exact counts in the Responses API's names; no prompt cache and no reasoning, so those are 0. */
function responseUsage(u: Usage): ResponseUsage {
  return {
    input_tokens: u.prompt_tokens,
    input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
    output_tokens: u.completion_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: u.total_tokens,
  };
}

/** A failure as a failed response carries it (and as the request's observation records it). */
function responseError(err: unknown): ResponseError {
  const e = reported(err);
  return { code: e.status === 429 ? "rate_limit_exceeded" : "server_error", message: e.message };
}
