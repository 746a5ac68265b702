/**
 * response_format through the official openai client on a random-weight model: json_schema output parses and
 * validates (ajv, on the ORIGINAL schema) for schemas using each enforced keyword, collected and streamed (the
 * deltas add up to the collected text), greedy and seeded; json_object gives an object; annotations are accepted;
 * every keyword we do not enforce is a 400 whose param is its JSON path; and the combinations we refuse are 400s.
 */
import { describe, expect, test } from "bun:test";
import type { ResponseFormatJSONSchema } from "openai/resources/shared";
import { validate } from "../grammar/grammar-kit.ts";
import { expectRefused } from "../helpers/openai-api.ts";
import { useServer } from "../helpers/start-server.ts";
import { TOOLS } from "../tools/tool-kit.ts";

const ctx = useServer();
const MESSAGES = [{ role: "user" as const, content: "Describe a record as JSON." }];

/** Schemas a random-weight model can finish (bounded strings, integer ranges, enums), one enforced family each. */
const SCHEMAS: Record<string, Record<string, unknown>> = {
  "enum and const": {
    type: "object",
    properties: { color: { enum: ["red", "green", "blue"] }, version: { const: 2 }, mixed: { enum: [1, "two", null, false] } },
    required: ["color", "version", "mixed"],
    additionalProperties: false,
  },
  "bounded strings": {
    type: "object",
    properties: { code: { type: "string", minLength: 2, maxLength: 5 }, note: { type: "string", maxLength: 10 } },
    required: ["code", "note"],
    additionalProperties: false,
  },
  "integer ranges": {
    type: "object",
    properties: { age: { type: "integer", minimum: 0, maximum: 120 }, delta: { type: "integer", exclusiveMinimum: -5, exclusiveMaximum: 5 } },
    required: ["age", "delta"],
    additionalProperties: false,
  },
  arrays: {
    type: "object",
    properties: {
      tags: { type: "array", items: { type: "string", maxLength: 4 }, minItems: 1, maxItems: 3 },
      pair: { type: "array", prefixItems: [{ type: "integer", minimum: 0, maximum: 9 }, { type: "boolean" }], items: false, minItems: 2 },
    },
    required: ["tags", "pair"],
    additionalProperties: false,
  },
  "nested objects": {
    type: "object",
    properties: {
      user: {
        type: "object",
        properties: { name: { type: "string", maxLength: 8 }, address: { type: "object", properties: { zip: { type: "string", pattern: "^[0-9]{5}$" } }, required: ["zip"], additionalProperties: false } },
        required: ["name", "address"],
        additionalProperties: false,
      },
    },
    required: ["user"],
    additionalProperties: false,
  },
  "$ref with $defs, anyOf, type arrays with null": {
    $defs: {
      Point: { type: "object", properties: { x: { type: "integer", minimum: -9, maximum: 9 }, label: { type: ["string", "null"], maxLength: 3 } }, required: ["x", "label"], additionalProperties: false },
    },
    type: "object",
    properties: { a: { $ref: "#/$defs/Point" }, b: { anyOf: [{ $ref: "#/$defs/Point" }, { type: "null" }] } },
    required: ["a", "b"],
    additionalProperties: false,
  },
  "definitions and oneOf": {
    definitions: {
      Cat: { type: "object", properties: { kind: { const: "cat" }, lives: { enum: [1, 7, 9] } }, required: ["kind", "lives"], additionalProperties: false },
      Dog: { type: "object", properties: { kind: { const: "dog" }, good: { type: "boolean" } }, required: ["kind", "good"], additionalProperties: false },
    },
    type: "object",
    properties: { pet: { oneOf: [{ $ref: "#/definitions/Cat" }, { $ref: "#/definitions/Dog" }] } },
    required: ["pet"],
    additionalProperties: false,
  },
  "pattern and formats": {
    type: "object",
    properties: { sku: { type: "string", pattern: "^[A-Z]{3}-[0-9]{2}$" }, day: { type: "string", format: "date" }, id: { type: "string", format: "uuid" } },
    required: ["sku", "day", "id"],
    additionalProperties: false,
  },
  annotations: {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://example.com/annotated.json",
    $comment: "accepted and ignored",
    title: "Annotated",
    description: "Every annotation keyword",
    type: "object",
    properties: { ok: { type: "boolean", title: "ok", description: "a flag", default: true, examples: [false] } },
    required: ["ok"],
    additionalProperties: false,
  },
};

function format(schema: Record<string, unknown>, strict: boolean | undefined = true): ResponseFormatJSONSchema {
  return { type: "json_schema", json_schema: { name: "record", schema, ...(strict === undefined ? {} : { strict }) } };
}

describe("json_schema output validates against its schema", () => {
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    test(name, async () => {
      const runs = [{ temperature: 0 }, { temperature: 1, seed: 11 }, { temperature: 1, seed: 12 }];
      for (const sampling of runs) {
        const params = { model: "test-chat", messages: MESSAGES, response_format: format(schema), max_tokens: 400, ...sampling };
        const res = await ctx.client.chat.completions.create(params);
        const text = res.choices[0]!.message.content!;
        expect(res.choices[0]!.finish_reason).toBe("stop");
        expect(validate(schema, text).errors).toBe("");
        // Streamed, the same request's deltas add up to the same text.
        let streamed = "";
        for await (const chunk of await ctx.client.chat.completions.create({ ...params, stream: true })) streamed += chunk.choices[0]?.delta.content ?? "";
        expect(streamed).toBe(text);
      }
    });
  }

  test("strict false and absent are enforced the same way; the SDK's parse() reads the result", async () => {
    const schema = SCHEMAS["integer ranges"]!;
    const texts: string[] = [];
    for (const strict of [true, false, undefined]) {
      const res = await ctx.client.chat.completions.create({ model: "test-chat", messages: MESSAGES, response_format: format(schema, strict), temperature: 0, max_tokens: 100 });
      texts.push(res.choices[0]!.message.content!);
    }
    expect(new Set(texts).size).toBe(1);
    const parsed = await ctx.client.chat.completions.parse({ model: "test-chat", messages: MESSAGES, response_format: format(schema), temperature: 0, max_tokens: 100 });
    expect(parsed.choices[0]!.message.parsed).toEqual(JSON.parse(texts[0]!));
  });

  test("n > 1: every choice validates", async () => {
    const schema = SCHEMAS.arrays!;
    const res = await ctx.client.chat.completions.create({ model: "test-chat", messages: MESSAGES, response_format: format(schema), n: 3, temperature: 1, seed: 5, max_tokens: 200 });
    expect(res.choices).toHaveLength(3);
    for (const c of res.choices) expect(validate(schema, c.message.content!).errors).toBe("");
  });

  test("the hermes and llama3 models' vocabularies too (their own special tokens are never spelled inside JSON)", async () => {
    const schema = SCHEMAS["bounded strings"]!;
    for (const model of ["test-hermes", "test-llama3"]) {
      const res = await ctx.client.chat.completions.create({ model, messages: MESSAGES, response_format: format(schema), temperature: 1, seed: 3, max_tokens: 200 });
      expect(validate(schema, res.choices[0]!.message.content!).errors).toBe("");
    }
  });
});

describe("json_object", () => {
  test("the output is one JSON object; the model ends it itself", async () => {
    // Random weights would wander in a key for ever; a bias on `}`, `"`, `:` and `,` lets them close (the grammar
    // decides when). GPT-2's `{"` token (4895) is banned in the first: inside a key `}` is text.
    const biases: Record<string, number>[] = [{ "92": 30, "4895": -100 }, { "1": 20, "92": 10, "25": 10, "11": 10 }];
    for (const bias of biases) {
      const res = await ctx.client.chat.completions.create({ model: "test-chat", messages: MESSAGES, response_format: { type: "json_object" }, temperature: 0, max_tokens: 200, logit_bias: bias });
      const value = JSON.parse(res.choices[0]!.message.content!);
      expect(typeof value === "object" && value !== null && !Array.isArray(value)).toBe(true);
      expect(res.choices[0]!.finish_reason).toBe("stop");
    }
  });

  test("cut by max_tokens: finish_reason length, the text so far", async () => {
    const res = await ctx.client.chat.completions.create({ model: "test-chat", messages: MESSAGES, response_format: { type: "json_object" }, temperature: 0, max_tokens: 6 });
    expect(res.choices[0]!.finish_reason).toBe("length");
    expect(res.choices[0]!.message.content!.startsWith("{")).toBe(true);
    expect(res.usage!.completion_tokens).toBe(6);
  });
});

describe("what we cannot enforce is a 400 naming its JSON path", () => {
  // Each keyword on a property, as `param` must point at it.
  const REFUSED: [string, Record<string, unknown>][] = [
    ["minimum", { type: "number", minimum: 0 }],
    ["maximum", { type: "number", maximum: 1 }],
    ["exclusiveMinimum", { type: "number", exclusiveMinimum: 0 }],
    ["exclusiveMaximum", { type: "number", exclusiveMaximum: 1 }],
    ["allOf", { allOf: [{ type: "string" }, { maxLength: 3 }] }],
    ["not", { not: { type: "string" } }],
    ["if", { if: { type: "string" }, then: { maxLength: 2 } }],
    ["uniqueItems", { type: "array", uniqueItems: true }],
    ["multipleOf", { type: "integer", multipleOf: 3 }],
    ["patternProperties", { type: "object", patternProperties: { "^a": {} } }],
    ["propertyNames", { type: "object", propertyNames: { maxLength: 3 } }],
    ["minProperties", { type: "object", minProperties: 1 }],
    ["maxProperties", { type: "object", maxProperties: 1 }],
    ["dependentRequired", { type: "object", dependentRequired: { a: ["b"] } }],
    ["contains", { type: "array", contains: { type: "integer" } }],
    ["unevaluatedProperties", { type: "object", unevaluatedProperties: false }],
    ["nullable", { type: "string", nullable: true }],
    ["x-custom", { type: "string", "x-custom": 1 }],
    ["format", { type: "string", format: "hostname" }],
    ["$ref", { $ref: "https://example.com/schema.json" }],
  ];
  for (const [keyword, sub] of REFUSED) {
    test(keyword, async () => {
      const schema = { type: "object", properties: { x: sub }, required: ["x"] };
      const param = `response_format.json_schema.schema.properties.x${/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(keyword) ? `.${keyword}` : `[${JSON.stringify(keyword)}]`}`;
      const err = await expectRefused(ctx.client.chat.completions.create({ model: "test-chat", messages: MESSAGES, response_format: format(schema), max_tokens: 5 }), { status: 400, param });
      expect(["unsupported_keyword", "unsupported_pattern"]).toContain(err.code!);
      expect(err.message).toContain(keyword.replace(/^x-/, ""));
    });
  }

  test("a schema that is not one (bad type, unknown $ref, min above max) is invalid_schema with its path", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ type: "object", properties: { x: { type: "strnig" } } }, "properties.x.type"],
      [{ type: "object", properties: { x: { $ref: "#/$defs/Missing" } } }, "properties.x.$ref"],
      [{ type: "object", properties: { x: { type: "string", minLength: 5, maxLength: 2 } } }, "properties.x.minLength"],
    ];
    for (const [schema, path] of cases) {
      await expectRefused(ctx.client.chat.completions.create({ model: "test-chat", messages: MESSAGES, response_format: format(schema), max_tokens: 5 }), {
        status: 400,
        param: `response_format.json_schema.schema.${path}`,
        code: "invalid_schema",
      });
    }
    await expectRefused(ctx.client.chat.completions.create({ model: "test-chat", messages: MESSAGES, response_format: { type: "xml" } as never, max_tokens: 5 }), { status: 400, param: "response_format.type" });
  });

  test("ignore_eos with a response format is refused by name; beside tools, required makes the call and none keeps the format", async () => {
    const body = { model: "test-chat", messages: MESSAGES, response_format: format(SCHEMAS.annotations!), max_tokens: 5 };
    await expectRefused(ctx.client.chat.completions.create({ ...body, ignore_eos: true } as never), { status: 400, param: "ignore_eos", code: "unsupported_parameter" });
    // With the call forced the answer is the call; with tool_choice none the format holds.
    const forced = await ctx.client.chat.completions.create({ ...body, tools: TOOLS, tool_choice: "required", max_tokens: 300, temperature: 0 });
    expect(forced.choices[0]!.message.tool_calls!.length).toBeGreaterThan(0);
    const none = await ctx.client.chat.completions.create({ ...body, tools: TOOLS, tool_choice: "none", max_tokens: 50, temperature: 0 });
    expect(validate(SCHEMAS.annotations!, none.choices[0]!.message.content!).errors).toBe("");
  });
});
