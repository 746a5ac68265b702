/**
 * What the engine raises when it cannot do what it was asked: domain values, not HTTP. Each says what happened
 * in words a user can act on and carries the facts (counts, the model, a reason code); src/http/shared/
 * error-mapping.ts alone decides the status, the OpenAI error type and any header. Hub failures are the
 * HubError of hub/hub-errors.ts, one more subclass.
 */
export abstract class EngineError extends Error {
  /** A stable, snake_case name of the failure; the HTTP mapping sends it as the error's `code`. */
  abstract readonly code: string;
}

/** The model's queue is full (or MAX_QUEUE=0 and the batch is): try again after `retryAfterSeconds`. */
export class QueueFull extends EngineError {
  override readonly name = "QueueFull";
  readonly code = "queue_full";

  constructor(
    /** Requests waiting for a batch slot when this one arrived. */
    readonly waiting: number,
    readonly maxQueue: number,
    /** How soon a retry may find room: slots free as sequences finish, typically within a second. */
    readonly retryAfterSeconds = 1,
  ) {
    super(`The server is at capacity for this model (${waiting} requests waiting, MAX_QUEUE=${maxQueue}). Retry shortly.`);
  }
}

/** One request asked for more sequences than the model ever decodes together, so it could never start. */
export class TooManySequences extends EngineError {
  override readonly name = "TooManySequences";
  readonly code = "too_many_sequences";

  constructor(
    readonly sequences: number,
    /** The most sequences the model decodes together (MAX_BATCH_SIZE, or 1 for a graph without position_ids). */
    readonly limit: number,
    /** Where the limit comes from, e.g. "MAX_BATCH_SIZE=4". */
    readonly limitSource = `MAX_BATCH_SIZE=${limit}`,
  ) {
    super(`This request needs ${sequences} sequences decoded together, more than this model's limit of ${limit} (${limitSource}).`);
  }
}

/** No registry entry has this id. */
export class ModelNotFound extends EngineError {
  override readonly name = "ModelNotFound";
  readonly code = "model_not_found";

  constructor(readonly model: string) {
    super(`The model '${model}' does not exist.`);
  }
}

/**
 * Why a model cannot be served right now. `model_unavailable` is the general case (its folder or graph is
 * missing, the graph does not load); the converter's ConvertErrorCode values and `unsupported_model_type` say
 * more precisely what is wrong with its files.
 */
export type ModelUnavailableReason = "model_unavailable" | "unsupported_model_type" | (string & {});

/** The model exists but could not be loaded; the next request retries the load. */
export class ModelUnavailable extends EngineError {
  override readonly name = "ModelUnavailable";

  constructor(
    readonly model: string,
    /** What went wrong, as a code: sent to the client as the error's `code`. */
    readonly code: ModelUnavailableReason,
    message: string,
  ) {
    super(message);
  }
}

/** An explicit `device: cuda` that this machine cannot honour; the message names what is missing. */
export class DeviceUnavailable extends EngineError {
  override readonly name = "DeviceUnavailable";
  readonly code = "device_unavailable";

  constructor(
    message: string,
    /** What is missing, one phrase each (provider libraries, driver, or the provider's load error). */
    readonly missing: string[],
  ) {
    super(message);
  }
}

/** The model failed while generating (a forward pass, or a token constraint, threw). */
export class GenerationFailed extends EngineError {
  override readonly name = "GenerationFailed";
  readonly code = "generation_failed";

  constructor(detail: string) {
    super(`The model failed while generating: ${detail}`);
  }
}

/** Anything thrown as an EngineError as it is; any other failure while generating as GenerationFailed. */
export function asGenerationError(err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  return new GenerationFailed(err instanceof Error ? err.message : String(err));
}
