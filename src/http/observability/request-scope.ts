import { AsyncLocalStorage } from "node:async_hooks";

/**
 * What the server learns about one request while serving it: the access log line and the request metrics
 * are written from it when the response ends. The front door opens the scope; the body reader, the generation
 * tap and the error formatter fill it in without being handed it through every handler signature.
 */
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
  /** Sink for the gap before each generated token (seconds), fed to the per-token latency histogram. */
  onTokenGap: (seconds: number, model: string) => void;
}

const scope = new AsyncLocalStorage<RequestRecord>();

export function runInRequestScope<T>(record: RequestRecord, fn: () => T): T {
  return scope.run(record, fn);
}

/** The record of the request being served here, if any (undefined in unit tests that call handlers directly). */
export function currentRequest(): RequestRecord | undefined {
  return scope.getStore();
}

/** The body named a model: log and label it (cut, since it is not validated yet). */
export function noteRequestModel(model: unknown): void {
  const r = scope.getStore();
  if (r && typeof model === "string") r.model = model.slice(0, 256);
}

export function noteRequestError(code: string | null): void {
  const r = scope.getStore();
  if (r && code) r.errorCode = code;
}

/** Token counts of answers that do not come through the generation tap (embeddings). */
export function noteRequestUsage(promptTokens: number, completionTokens = 0): void {
  const r = scope.getStore();
  if (!r) return;
  r.promptTokens += promptTokens;
  r.completionTokens += completionTokens;
}
