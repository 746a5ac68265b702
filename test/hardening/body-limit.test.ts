/**
 * Bodies over MAX_BODY_BYTES get a JSON 413, whether the client declares the size or streams it chunked, and
 * even when the client uploads everything before reading (Bun's fetch does): the server reads the excess and
 * drops it instead of letting Bun cut the connection with an empty answer.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startServer, type TestServer } from "../helpers/start-server.ts";
import { errorShapeProblem } from "./openai-error-shape.ts";

const TEN_MB = 10 * 1024 * 1024;
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ args: ["--api-key", "k-body"] });
});

afterAll(async () => {
  await server?.stop();
});

function bigBody(): Uint8Array {
  const prefix = new TextEncoder().encode('{"model":"test-gpt2","max_tokens":1,"prompt":"');
  const body = new Uint8Array(TEN_MB).fill(0x61);
  body.set(prefix);
  body[TEN_MB - 2] = 0x22;
  body[TEN_MB - 1] = 0x7d;
  return body;
}

function chunked(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (let i = 0; i < bytes.length; i += 1 << 20) c.enqueue(bytes.subarray(i, i + (1 << 20)));
      c.close();
    },
  });
}

const AUTH = { authorization: "Bearer k-body", "content-type": "application/json" };

for (const [name, body] of [["with Content-Length", () => bigBody()], ["chunked", () => chunked(bigBody())]] as const) {
  test(`a 10 MB body ${name} is a JSON 413 request_too_large`, async () => {
    const res = await fetch(`${server.url}/v1/completions`, { method: "POST", headers: AUTH, body: body() });
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    const text = await res.text();
    expect(errorShapeProblem(text)).toBeNull();
    expect(JSON.parse(text).error.code).toBe("request_too_large");
  });
}

test("a body just under the limit is read (and then judged on its content)", async () => {
  const pad = "a".repeat(4 * 1024 * 1024 - 200);
  const res = await fetch(`${server.url}/v1/completions`, { method: "POST", headers: AUTH, body: JSON.stringify({ model: "test-gpt2", prompt: [1], max_tokens: 1, user: pad }) });
  expect(res.status).toBe(200);
});

test("early refusals of big uploads still reach the client: 401 without a key, 404 for no route", async () => {
  const noKey = await fetch(`${server.url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: bigBody() });
  expect(noKey.status).toBe(401);
  const noRoute = await fetch(`${server.url}/v1/nothing-here`, { method: "POST", headers: AUTH, body: chunked(bigBody()) });
  expect(noRoute.status).toBe(404);
  expect(errorShapeProblem(await noRoute.text())).toBeNull();
});

test("the connection is still good afterwards", async () => {
  const res = await fetch(`${server.url}/v1/models`, { headers: AUTH });
  expect(res.status).toBe(200);
});
