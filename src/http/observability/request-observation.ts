import { AsyncLocalStorage } from "node:async_hooks";
import type { Logger } from "../../observability/logger.ts";
import type { TaggedEvent } from "../shared/merge-events.ts";
import { logRequest } from "./access-log.ts";
import type { ServerMetrics } from "./server-metrics.ts";

/** What the server learned about one request: the access-log line and the request metrics are made from it. */
export interface RequestRecord {
  id: string;
  method: string;
  /** The path as sent, cut to a sane length (logs only; metrics use `route`). */
  path: string;
  /** A bounded label: a known route template, or "other". */
  route: string;
  /** performance.now() when the request arrived. */
  started: number;
  model: string | null;
  status: number;
  /** The OpenAI error code of an error answer, or of an error frame that ended a stream. */
  errorCode: string | null;
  stream: boolean;
  promptTokens: number;
  completionTokens: number;
  /** Milliseconds from arrival to the first generated token. */
  ttftMs: number | null;
}

export interface ObservationSinks {
  metrics: ServerMetrics;
  logger: Logger;
}

/**
 * One request's observation, and the one path by which it is reported. The front door's observe step opens it
 * and ends it when the response has gone out; while the request is served, four producers note what only they
 * know, through the methods below: the body reader (the model), the error formatter (the error code sent), the
 * generation tap (tokens, time to first token, gaps between tokens) and the embeddings route (usage). `end`
 * then writes the metrics and the access-log line, once.
 */
export class RequestObservation {
  readonly record: RequestRecord;
  private ended = false;
  /** Per choice (`prompt:index`): when its last token came, and how many it has had. */
  private readonly lastTokenAt = new Map<string, number>();
  private readonly generated = new Map<string, number>();

  constructor(
    request: { id: string; method: string; path: string; route: string },
    private readonly sinks: ObservationSinks,
  ) {
    this.record = {
      ...request,
      path: request.path.slice(0, 256),
      started: performance.now(),
      model: null,
      status: 0,
      errorCode: null,
      stream: false,
      promptTokens: 0,
      completionTokens: 0,
      ttftMs: null,
    };
  }

  /** The body named a model: log and label it (cut, since it is not validated yet). */
  noteModel(model: unknown): void {
    if (typeof model === "string") this.record.model = model.slice(0, 256);
  }

  /** The OpenAI error code the client was sent (an error answer or a stream's error frame). */
  noteError(code: string | null): void {
    if (code) this.record.errorCode = code;
  }

  /** Token counts of answers that do not come through the generation tap (embeddings). */
  noteUsage(promptTokens: number, completionTokens = 0): void {
    this.record.promptTokens += promptTokens;
    this.record.completionTokens += completionTokens;
  }

  /** One generation event of `model`: prompt tokens, generated tokens, TTFT and the gap before each token. */
  noteGeneration({ prompt, event }: TaggedEvent, model: string): void {
    const r = this.record;
    if (event.type === "prompt") r.promptTokens += event.promptTokens;
    else if (event.type === "discarded") r.completionTokens += event.completionTokens;
    else if (event.type === "delta" && event.tokens.length > 0) {
      const now = performance.now();
      const key = `${prompt}:${event.index}`;
      const last = this.lastTokenAt.get(key);
      if (r.ttftMs === null) r.ttftMs = now - r.started;
      // One delta per sampled token, so the gap is this token's; a choice's first token has none.
      if (last !== undefined) this.sinks.metrics.tokenGap((now - last) / 1000 / event.tokens.length, model);
      this.lastTokenAt.set(key, now);
      this.generated.set(key, (this.generated.get(key) ?? 0) + event.tokens.length);
      r.completionTokens += event.tokens.length;
    } else if (event.type === "finish") {
      // The engine's count is the truth (usage uses it); the running count only stands in until then.
      const key = `${prompt}:${event.index}`;
      r.completionTokens += event.completionTokens - (this.generated.get(key) ?? 0);
      this.generated.set(key, event.completionTokens);
    }
  }

  noteResponse(status: number, stream: boolean): void {
    this.record.status = status;
    this.record.stream = stream;
  }

  /** The response has gone out (a stream: its last byte, or the client leaving): report the request, once. */
  end(clientGone: boolean): void {
    if (this.ended) return;
    this.ended = true;
    const ms = performance.now() - this.record.started;
    this.sinks.metrics.finished(this.record, ms);
    logRequest(this.sinks.logger, this.record, ms, clientGone);
  }
}

const scope = new AsyncLocalStorage<RequestObservation>();

/** Runs the rest of a request's handling with `observation` as the one its producers note into. */
export function runObserved<T>(observation: RequestObservation, fn: () => T): T {
  return scope.run(observation, fn);
}

/** The observation of the request being served here (undefined in unit tests that call handlers directly). */
export function currentObservation(): RequestObservation | undefined {
  return scope.getStore();
}
