/**
 * The one mapping from domain errors to OpenAI errors (src/http/shared/error-mapping.ts): each engine, hub and
 * converter failure gets the status, type, code, param and headers a client has always seen for it, and a
 * converter failure during a model load reaches the client as that model being unavailable with the
 * converter's own code and message.
 */
import { describe, expect, test } from "bun:test";
import { ConvertError } from "../../src/convert/convert-error.ts";
import { DeviceUnavailable, GenerationFailed, ModelNotFound, ModelUnavailable, QueueFull, TooManySequences } from "../../src/engine/engine-errors.ts";
import { GrammarError } from "../../src/engine/grammar/grammar-error.ts";
import { HubError } from "../../src/engine/hub/hub-errors.ts";
import { loadFailure } from "../../src/engine/model-pool.ts";
import { ApiError } from "../../src/http/shared/api-error.ts";
import { toApiError } from "../../src/http/shared/error-mapping.ts";
import { specFor } from "../hub/hub-test-kit.ts";

const wire = (err: unknown) => {
  const e = toApiError(err);
  return { status: e.status, headers: e.headers, ...e.toBody().error };
};

describe("engine errors", () => {
  test("QueueFull: 429 rate_limit_exceeded with Retry-After from its hint", () => {
    expect(wire(new QueueFull(3, 8, 2))).toEqual({
      status: 429,
      headers: { "Retry-After": "2" },
      type: "rate_limit_error",
      code: "rate_limit_exceeded",
      param: null,
      message: "The server is at capacity for this model (3 requests waiting, MAX_QUEUE=8). Retry shortly.",
    });
  });

  test("ModelNotFound: 404 naming model; the hint at GET /v1/models is added here, not by the engine", () => {
    const err = new ModelNotFound("nope");
    expect(err.message).not.toContain("/v1");
    expect(wire(err)).toMatchObject({
      status: 404,
      type: "invalid_request_error",
      code: "model_not_found",
      param: "model",
      message: "The model 'nope' does not exist. GET /v1/models lists the models this server can serve.",
    });
  });

  test("ModelUnavailable, DeviceUnavailable and HubError: 503 with their own code, naming model", () => {
    for (const [err, code] of [
      [new ModelUnavailable("m", "model_unavailable", "Model 'm' could not be loaded: x."), "model_unavailable"],
      [new ModelUnavailable("m", "unsupported_model_type", "Model 'm' declares …"), "unsupported_model_type"],
      [new DeviceUnavailable('This model could not be placed: device "cuda" is not available: no driver.', ["no driver"]), "device_unavailable"],
      [new HubError("hub_unreachable", "Cannot reach the model hub."), "hub_unreachable"],
    ] as const) {
      expect(wire(err)).toEqual({ status: 503, headers: {}, type: "service_unavailable_error", code, param: "model", message: err.message });
    }
  });

  test("GenerationFailed: 500 generation_failed; TooManySequences: 400", () => {
    expect(wire(new GenerationFailed("boom"))).toMatchObject({ status: 500, type: "server_error", code: "generation_failed", message: "The model failed while generating: boom" });
    expect(wire(new TooManySequences(4, 2))).toMatchObject({ status: 400, type: "invalid_request_error", code: "too_many_sequences" });
  });

  test("anything else is a 500 internal_error that keeps its message; an ApiError passes as it is", () => {
    expect(wire(new Error("disk on fire"))).toMatchObject({ status: 500, type: "server_error", code: "internal_error", message: "Internal error: disk on fire" });
    const own = new ApiError({ status: 418, type: "invalid_request_error", message: "teapot" });
    expect(toApiError(own)).toBe(own);
  });
});

describe("a ConvertError during a model load", () => {
  const spec = specFor("my-ckpt", { kind: "local", path: "/models/my-ckpt" });

  test("becomes ModelUnavailable with the converter's code and message, answered 503 with that code", () => {
    const raised = new ConvertError("unsupported_architecture", "model_type 'mamba' is not an architecture this server builds", "config.json");
    const failure = loadFailure(spec, raised);
    expect(failure).toBeInstanceOf(ModelUnavailable);
    expect(failure.code).toBe("unsupported_architecture");
    expect(failure.message).toContain("Model 'my-ckpt'");
    expect(failure.message).toContain("model_type 'mamba' is not an architecture this server builds");
    expect(failure.message).toContain("config.json");
    expect(wire(failure)).toMatchObject({ status: 503, type: "service_unavailable_error", code: "unsupported_architecture", param: "model" });
  });

  test("every converter code passes through unchanged", () => {
    for (const code of ["checkpoint_missing", "checkpoint_invalid", "unsupported_architecture", "unsupported_config", "unsupported_tensor_type", "unsupported_dtype", "build_failed"] as const) {
      expect(wire(loadFailure(spec, new ConvertError(code, "why", null))).code).toBe(code);
    }
  });

  test("an engine error stays itself; any other failure is model_unavailable with its first line", () => {
    const hub = new HubError("hub_not_found", "no such repo");
    expect(loadFailure(spec, hub)).toBe(hub);
    const other = loadFailure(spec, new Error("onnxruntime: bad graph\nstack trace..."));
    expect(other.code).toBe("model_unavailable");
    expect(other.message).toBe("Model 'my-ckpt' could not be loaded: onnxruntime: bad graph. It will be retried on the next request.");
  });
});

describe("structured-output errors", () => {
  test("a schema or tools we cannot enforce: 400 with its own code and param = the path it names", () => {
    for (const code of ["unsupported_keyword", "invalid_schema", "unsupported_pattern", "schema_too_complex", "invalid_tools"] as const) {
      const err = new GrammarError(code, "'not' is not enforced.", "properties.x.not").under("response_format.json_schema.schema");
      expect(wire(err)).toEqual({
        status: 400,
        headers: {},
        type: "invalid_request_error",
        code,
        param: "response_format.json_schema.schema.properties.x.not",
        message: "Invalid 'response_format.json_schema.schema.properties.x.not': 'not' is not enforced.",
      });
    }
    expect(wire(new GrammarError("invalid_schema", "must be an object.")).param).toBeNull();
  });

  test("the engine failing on input we accepted is ours: 500 engine_failed, no param", () => {
    expect(wire(new GrammarError("engine_failed", "aborted", "tools"))).toMatchObject({ status: 500, type: "server_error", code: "engine_failed", param: null });
  });
});
