/**
 * The hostile-input generator: a seeded mix of malformed requests against completions, chat, embeddings and
 * (de)tokenize. Every case is invalid by construction (at least one mutation the server must refuse), so every
 * answer must be a 4xx OpenAI error; "neutral" oddities (unknown fields, prototype keys, deep junk) ride along
 * to prove they are ignored safely.
 */
import { SeededRandom } from "./seeded-random.ts";
import { RawJson, deepArray, deepObject, toJson, type JsonLike } from "./raw-json.ts";

export interface HostileCase {
  name: string;
  method: string;
  path: string;
  body: string | Uint8Array | null;
  contentType: string | null;
  /** Send without Content-Length (Transfer-Encoding: chunked). */
  chunked: boolean;
  /** An exact status where the case demands one; otherwise any 4xx. */
  status: number | null;
}

type Table = Record<string, JsonLike[]>;

const raw = (text: string) => new RawJson(text);
const LONG_NAME = "m".repeat(300);
const NAN_LIKE: JsonLike[] = ["NaN", "Infinity", "-Infinity", "1e999", "0x10", "", " 1", raw("1e999"), raw("-1e999")];
const HUGE: JsonLike[] = [1e308, -1e308, 2 ** 63, -(2 ** 63), raw("123456789012345678901234567890")];
const SHAPES: JsonLike[] = [[], {}, [[]], deepArray(64), deepObject(64)];

const MODEL_BAD = (wrongTask: string): JsonLike[] => [null, 5, true, "", LONG_NAME, "m".repeat(100_000), [], {}, "no-such-model", "../../../etc/passwd", "test-gpt2\u0000", "モデル", wrongTask];
const BIAS_BAD: JsonLike[] = [
  raw('{"__proto__": 5}'), raw('{"constructor": 1}'), raw('{"prototype": 1}'), raw('{"__proto__": {"polluted": true}}'),
  { "99999": 1 }, { "-1": 1 }, { "1.5": 1 }, { "1e3": 1 }, { "50256": 101 }, { "0": -101 }, { "1": "x" }, { "1": null }, { "": 1 }, { "１": 1 },
  [], "x", 5, Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [String(i), 1])),
];
const SAMPLING: Table = {
  n: [0, -1, 17, 1e9, 1.5, "2", ...NAN_LIKE],
  temperature: [-0.1, 2.1, ...HUGE, ...NAN_LIKE, ...SHAPES],
  top_p: [-0.1, 1.1, 1e10, "0.5"],
  top_k: [-2, 1.5, "5", -1e9],
  min_p: [-0.1, 1.5, "0"],
  presence_penalty: [-2.1, 2.1, 1e300, "0"],
  frequency_penalty: [-2.1, 2.1, -1e300, []],
  repetition_penalty: [0, -1, 10.1, 1e9],
  seed: [1.5, 1e300, -1e300, "42", ...NAN_LIKE],
  stop: [5, [1, 2], ["a", "b", "c", "d", "e"], "x".repeat(513), [null], {}, ["ok", "y".repeat(600)], [[["deep"]]], deepArray(1000)],
  logit_bias: BIAS_BAD,
  stream: ["true", 1, {}],
  stream_options: ["x", { include_usage: "yes" }],
  user: [5, {}, []],
  max_tokens: [-1, 1.5, "16", 1e9, 2 ** 53 + 2, 1e308, ...NAN_LIKE, true, []],
};

interface Endpoint {
  path: string;
  base: Record<string, JsonLike>;
  required: string[];
  invalid: Table;
}

const ENDPOINTS: Endpoint[] = [
  {
    path: "/v1/completions",
    base: { model: "test-gpt2", prompt: "Hello", max_tokens: 2 },
    required: ["model", "prompt"],
    invalid: {
      ...SAMPLING,
      model: MODEL_BAD("test-embed"),
      prompt: [null, 5, true, {}, [], [[]], [-1], [50257], [1e10], [1.5], ["a", 5], [[1], ["a"]], [2 ** 53], deepArray(10_000), Array.from({ length: 65 }, () => "p"), Array.from({ length: 1100 }, () => 1)],
      best_of: [0, 17, 1e6, "x", 1.5],
      logprobs: [-1, 6, 100, 1.5, true, "3"],
      echo: ["yes", 1],
      suffix: ["a suffix"],
    },
  },
  {
    path: "/v1/chat/completions",
    base: { model: "test-chat", messages: [{ role: "user", content: "hi" }], max_tokens: 2 },
    required: ["model", "messages"],
    invalid: {
      ...SAMPLING,
      model: MODEL_BAD("test-embed").concat(["test-gpt2"]),
      messages: [
        null, "hi", {}, [], [null], [5], ["hi"], [{}], [{ role: "user" }], [{ role: "wizard", content: "x" }], [{ role: 5, content: "x" }],
        [{ role: "user", content: 5 }], [{ role: "user", content: [{ type: "image_url", image_url: { url: "http://x" } }] }],
        [{ role: "user", content: [{ type: "text" }] }], [{ role: "user", content: [5] }], [{ role: "user", content: "x", name: 5 }],
        [{ role: "assistant", content: "x", tool_calls: [{}] }], [deepArray(10_000)], [{ role: "user", content: deepArray(5000) }],
      ],
      max_completion_tokens: [-1, 1e9, "5", 1.5],
      logprobs: ["yes", 1],
      top_logprobs: [21, -1, "2"],
      response_format: [{ type: "json_object" }, { type: "json_schema" }, "json", {}],
      tools: [[{ type: "function", function: { name: "f" } }], "x"],
      tool_choice: ["auto", { type: "function" }],
    },
  },
  {
    path: "/v1/embeddings",
    base: { model: "test-embed", input: "hi" },
    required: ["model", "input"],
    invalid: {
      model: MODEL_BAD("test-gpt2"),
      input: [null, 5, "", [], [""], [[]], [[-1]], [[99999]], [1.5], [["a"]], {}, [true], deepArray(10_000), Array.from({ length: 2049 }, () => "x"), [Array.from({ length: 600 }, () => 5)]],
      encoding_format: ["base32", 5, ""],
      dimensions: [0, -1, 1e9, 1.5, "64", 65],
      user: [5],
    },
  },
  {
    path: "/tokenize",
    base: { model: "test-gpt2", prompt: "Hello world" },
    required: ["model", "prompt"],
    invalid: {
      model: MODEL_BAD("no-such").concat(["x".repeat(257)]),
      prompt: [5, [], {}, true, deepArray(10_000)],
      text: ["also text"],
      messages: [[{ role: "user", content: "x" }], "x", [5]],
      add_special_tokens: ["yes", 1],
      add_generation_prompt: [0],
      return_token_strs: [1, "true"],
    },
  },
  {
    path: "/detokenize",
    base: { model: "test-gpt2", tokens: [15496, 995] },
    required: ["model", "tokens"],
    invalid: {
      model: MODEL_BAD("no-such"),
      tokens: [null, "1 2", [-1], [50257], [1e10], [1.5], [[1]], ["a"], {}, deepArray(10_000), [2 ** 53], [-0.5], [15496, 99999999]],
    },
  },
];

/** Oddities that make no request invalid by themselves: added on top of an invalid one. */
const NEUTRAL: [string, JsonLike][] = [
  ["unknown_field", "x"],
  ["unknownDeep", deepObject(2000)],
  ["unknownArray", deepArray(5000)],
  ["__proto__", raw('{"polluted": true}')],
  ["constructor", { prototype: { polluted: true } }],
  ["üñíçødé 🔑", "✓"],
  ["", null],
  ["toString", 5],
];

const BAD_UTF8 = [[0xff], [0xfe, 0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80]];
const BAD_SYNTAX = [
  '{"model": "test-gpt2", "prompt": NaN}', '{"model": "test-gpt2", "prompt": Infinity}', "{'model': 'test-gpt2'}",
  '{"model": "test-gpt2",}', '{"model": "test-gpt2" /* c */}', '{"model": "test-gpt2"', "{", "}", "[", "",
  "   ", "\u0000", '{"model":"test-gpt2","prompt":"\\x41"}', '{"model":"test-gpt2","prompt":"\\ud8"}', '{"a":1}{"b":2}',
];
const NOT_OBJECTS = ["[]", "null", "42", '"str"', "true", "-0", "1e999", "[".repeat(10_000) + "]".repeat(10_000), "[".repeat(1_000_000) + "]".repeat(1_000_000)];

function withNeutral(rng: SeededRandom, body: Record<string, JsonLike>): Record<string, JsonLike> {
  if (rng.next() < 0.5) return body;
  const out = { ...body };
  const count = 1 + rng.int(3);
  for (let i = 0; i < count; i++) {
    const [k, v] = rng.pick(NEUTRAL);
    // defineProperty: a plain `out["__proto__"] = v` would set the prototype instead of sending the key.
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function hostileCases(seed: number, count: number): HostileCase[] {
  const rng = new SeededRandom(seed);
  const cases: HostileCase[] = [];
  const add = (c: Partial<HostileCase> & { name: string; path: string }) =>
    cases.push({ method: "POST", body: null, contentType: "application/json", chunked: false, status: null, ...c });

  // A few fixed cases so every kind appears whatever the seed: oversize bodies both ways, per endpoint.
  for (const ep of ENDPOINTS) {
    const big = toJson({ ...ep.base, pad: "z".repeat(5 * 1024 * 1024) });
    add({ name: `${ep.path} oversize with length`, path: ep.path, body: big, status: 413 });
    add({ name: `${ep.path} oversize chunked`, path: ep.path, body: big, chunked: true, status: 413 });
  }

  while (cases.length < count) {
    const ep = rng.pick(ENDPOINTS);
    const roll = rng.next();
    if (roll < 0.6) {
      const fields = Object.keys(ep.invalid);
      const field = rng.pick(fields);
      const value = rng.pick(ep.invalid[field]!);
      const body = withNeutral(rng, { ...ep.base, [field]: value });
      add({ name: `${ep.path} ${field}=${toJson(value).slice(0, 40)}`, path: ep.path, body: toJson(body) });
    } else if (roll < 0.68) {
      const body: Record<string, JsonLike> = withNeutral(rng, { ...ep.base });
      const missing = rng.pick(ep.required);
      delete body[missing];
      add({ name: `${ep.path} without ${missing}`, path: ep.path, body: toJson(body) });
    } else if (roll < 0.78) {
      const text = toJson(ep.base);
      const bytes = encode(text);
      // Inside the first string value, so the JSON stays well-formed and only the encoding is wrong.
      const at = text.indexOf('"', text.indexOf(":")) + 1;
      const bad = rng.pick(BAD_UTF8);
      const out = new Uint8Array(bytes.length + bad.length);
      out.set(bytes.subarray(0, at));
      out.set(bad, at);
      out.set(bytes.subarray(at), at + bad.length);
      add({ name: `${ep.path} invalid utf-8 ${bad.map((b) => b.toString(16)).join(" ")}`, path: ep.path, body: out, status: 400 });
    } else if (roll < 0.86) {
      const text = toJson(ep.base);
      const cut = rng.int(text.length);
      add({ name: `${ep.path} truncated at ${cut}`, path: ep.path, body: text.slice(0, cut), status: 400 });
    } else if (roll < 0.91) {
      const text = rng.pick(BAD_SYNTAX);
      add({ name: `${ep.path} syntax ${JSON.stringify(text.slice(0, 30))}`, path: ep.path, body: text, status: 400 });
    } else if (roll < 0.95) {
      const text = rng.pick(NOT_OBJECTS);
      add({ name: `${ep.path} non-object ${text.slice(0, 20)}`, path: ep.path, body: text, status: 400 });
    } else if (roll < 0.98) {
      const ct = rng.pick(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "image/png"]);
      add({ name: `${ep.path} content-type ${ct}`, path: ep.path, body: toJson(ep.base), contentType: ct, status: 400 });
    } else {
      const method = rng.pick(["GET", "PUT", "DELETE", "PATCH"]);
      add({ name: `${method} ${ep.path}`, method, path: ep.path, body: method === "GET" ? null : toJson(ep.base), status: 404 });
    }
  }
  return cases;
}
