/** Unit: keys are compared as SHA-256 digests with crypto.timingSafeEqual, against every key, no early exit. */
import { afterEach, expect, spyOn, test } from "bun:test";
import crypto from "node:crypto";
import { ApiKeys, bearerToken } from "../../src/http/auth/api-keys.ts";
import { requireApiKey } from "../../src/http/auth/require-api-key.ts";

let spy: ReturnType<typeof spyOn<typeof crypto, "timingSafeEqual">> | null = null;
afterEach(() => {
  spy?.mockRestore();
  spy = null;
});

test("accepts only a configured key", () => {
  const keys = new ApiKeys(["sk-one", "sk-two"]);
  expect(keys.accepts("sk-one")).toBe(true);
  expect(keys.accepts("sk-two")).toBe(true);
  expect(keys.accepts("sk-on")).toBe(false);
  expect(keys.accepts("sk-one ")).toBe(false);
  expect(keys.accepts("")).toBe(false);
});

test("every comparison goes through timingSafeEqual on equal-length digests, for every key", () => {
  spy = spyOn(crypto, "timingSafeEqual");
  const keys = new ApiKeys(["sk-one", "sk-two", "sk-three"]);
  // A match on the first key must not stop the loop: the time taken may not tell which key matched.
  expect(keys.accepts("sk-one")).toBe(true);
  expect(spy).toHaveBeenCalledTimes(3);
  for (const [a, b] of spy.mock.calls) {
    expect((a as Buffer).length).toBe(32);
    expect((b as Buffer).length).toBe(32);
  }
  spy.mockClear();
  expect(keys.accepts("a much longer key than any configured one")).toBe(false);
  expect(spy).toHaveBeenCalledTimes(3);
});

test("no keys: auth is off", () => {
  expect(new ApiKeys([]).enabled).toBe(false);
  expect(requireApiKey(new ApiKeys([]), { method: "POST", path: "/v1/completions", authorization: null, metricsOpen: true })).toBeNull();
});

test("Bearer parsing", () => {
  expect(bearerToken("Bearer abc")).toBe("abc");
  expect(bearerToken("bearer   abc  ")).toBe("abc");
  expect(bearerToken("Basic abc")).toBeNull();
  expect(bearerToken("Bearer")).toBeNull();
  expect(bearerToken("Bearer a b")).toBeNull();
  expect(bearerToken(null)).toBeNull();
});

test("which requests need a key", () => {
  const keys = new ApiKeys(["k"]);
  const need = (method: string, path: string, metricsOpen = true) => requireApiKey(keys, { method, path, authorization: null, metricsOpen }) !== null;
  expect(need("POST", "/v1/completions")).toBe(true);
  expect(need("GET", "/v1/models")).toBe(true);
  expect(need("POST", "/tokenize")).toBe(true);
  expect(need("POST", "/detokenize")).toBe(true);
  expect(need("GET", "/no/such/path")).toBe(true);
  expect(need("OPTIONS", "/v1/completions")).toBe(false);
  expect(need("GET", "/healthz")).toBe(false);
  expect(need("GET", "/readyz")).toBe(false);
  expect(need("GET", "/metrics", true)).toBe(false);
  expect(need("GET", "/metrics", false)).toBe(true);
  const err = requireApiKey(keys, { method: "POST", path: "/v1/completions", authorization: "Bearer wrong", metricsOpen: true })!;
  expect(err.status).toBe(401);
  expect(err.code).toBe("invalid_api_key");
  expect(err.message).not.toContain("wrong");
});
