/** HF_TOKEN: required by the hub, sent as a bearer token to any configured endpoint, never to a redirect's CDN. */
import { afterAll, expect, test } from "bun:test";
import { HubError } from "../../src/engine/hub/hub-errors.ts";
import type { ApiError } from "../../src/http/shared/api-error.ts";
import { toApiError } from "../../src/http/shared/error-mapping.ts";
import { fetchHubModel } from "../../src/engine/hub/fetch-hub-model.ts";
import { captureLog, GPT2_REPO, hubRequest, hubSettingsFor, ONNX, removeTempDirs, startTestHub, tempDir, SLOW_MS } from "./hub-test-kit.ts";

const hub = await startTestHub({ token: "hf_secret", redirectLargerThan: 1024 * 1024 });
afterAll(async () => {
  await hub.stop();
  removeTempDirs();
});

async function failure(token: string): Promise<ApiError> {
  const settings = hubSettingsFor(hub.url, tempDir(), { token });
  const err = await fetchHubModel(hubRequest(), settings, undefined, captureLog()).catch((e: unknown) => e);
  if (!(err instanceof HubError)) throw err;
  return toApiError(err); // as a client sees it
}

test("without a token: 503 hub_unauthorized saying no token was sent", async () => {
  const err = await failure("");
  expect(err.status).toBe(503);
  expect(err.type).toBe("service_unavailable_error");
  expect(err.code).toBe("hub_unauthorized");
  expect(err.param).toBe("model");
  expect(err.message).toContain("401");
  expect(err.message).toContain("no HF_TOKEN was sent");
  expect(err.message).toContain("'test/test-gpt2'");
  expect(err.message).toContain("config.json");
}, SLOW_MS);

test("with a wrong token: the message says the token sent is not allowed", async () => {
  const err = await failure("hf_wrong");
  expect(err.code).toBe("hub_unauthorized");
  expect(err.message).toContain("403");
  expect(err.message).toContain("HF_TOKEN that was sent is not valid or not allowed");
  expect(err.message).toContain("Hub says: This token may not read this repo.");
}, SLOW_MS);

test("with the token: downloads, the token reaches the endpoint on every file and never the CDN", async () => {
  const cacheDir = tempDir();
  const start = hub.requests.length;
  const dir = await fetchHubModel(hubRequest(), hubSettingsFor(hub.url, cacheDir, { token: "hf_secret" }), undefined, captureLog());
  expect(dir.startsWith(cacheDir)).toBe(true);
  const mine = hub.requests.slice(start);
  const toHub = mine.filter((r) => r.origin === "hub");
  const toCdn = mine.filter((r) => r.origin === "cdn");
  expect(toHub.length).toBe(8); // config, generation config, tokenizer, its config and special tokens, chat_template.jinja, graph, graph data
  expect(toHub.every((r) => r.authorization === "Bearer hf_secret")).toBe(true);
  // The large files (tokenizer.json, the graph) went through the 302 to the other origin, without the token.
  expect(toCdn.map((r) => r.file).sort()).toEqual([`${GPT2_REPO}/${ONNX}`, `${GPT2_REPO}/tokenizer.json`]);
  expect(toCdn.every((r) => r.authorization === null)).toBe(true);
}, SLOW_MS);

test("a hub that refuses everyone (gated repo) names the repo and passes on the hub's reason", async () => {
  hub.behaviour.unauthorized = true;
  try {
    const err = await failure("hf_secret");
    expect(err.code).toBe("hub_unauthorized");
    expect(err.message).toContain("HF_TOKEN that was sent");
    expect(err.message).toContain("Access to this repo is restricted.");
  } finally {
    hub.behaviour.unauthorized = false;
  }
}, SLOW_MS);
