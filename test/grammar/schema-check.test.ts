import { describe, expect, test } from "bun:test";
import { GrammarError } from "../../src/engine/grammar/grammar-error.ts";
import { checkJsonSchema } from "../../src/engine/grammar/schema-check.ts";
import { toolRequest } from "../../src/engine/tools/tool-definitions.ts";

function refusal(schema: unknown): { code: string; path: string; message: string } {
  try {
    checkJsonSchema(schema);
  } catch (err) {
    if (err instanceof GrammarError) return { code: err.code, path: err.path, message: err.message };
    throw err;
  }
  throw new Error(`accepted: ${JSON.stringify(schema)}`);
}

const obj = (props: Record<string, unknown>) => ({ type: "object", properties: props });

describe("keywords we do not enforce are refused by name and path", () => {
  const cases: [string, unknown, string][] = [
    ["number minimum", obj({ age: { type: "number", minimum: 0 } }), "properties.age.minimum"],
    ["number exclusiveMaximum", obj({ p: { type: "number", exclusiveMaximum: 1 } }), "properties.p.exclusiveMaximum"],
    ["allOf of two", { allOf: [{ type: "object" }, { required: [] }] }, "allOf"],
    ["not", obj({ a: { not: { type: "string" } } }), "properties.a.not"],
    ["if/then", { type: "object", if: {}, then: {} }, "if"],
    ["uniqueItems", obj({ tags: { type: "array", uniqueItems: true } }), "properties.tags.uniqueItems"],
    ["multipleOf", obj({ n: { type: "integer", multipleOf: 5 } }), "properties.n.multipleOf"],
    ["patternProperties", { type: "object", patternProperties: { "^x": {} } }, "patternProperties"],
    ["dependentRequired", { type: "object", dependentRequired: {} }, "dependentRequired"],
    ["minProperties", { type: "object", minProperties: 1 }, "minProperties"],
    ["contains", { type: "array", contains: {} }, "contains"],
    ["unknown keyword", obj({ a: { type: "string", maxLenght: 3 } }), "properties.a.maxLenght"],
    ["nullable", obj({ a: { type: "string", nullable: true } }), "properties.a.nullable"],
    ["unknown format", obj({ a: { type: "string", format: "hostname" } }), "properties.a.format"],
    ["pattern beside format", obj({ a: { type: "string", format: "date", pattern: "x" } }), "properties.a.pattern"],
    ["keyword beside $ref", { $defs: { A: { type: "string" } }, type: "object", properties: { a: { $ref: "#/$defs/A", maxLength: 2 } } }, "properties.a.maxLength"],
    ["overlapping oneOf", { oneOf: [{ type: "integer" }, { type: "number" }] }, "oneOf"],
    ["bounds under ambiguous anyOf", { anyOf: [{ type: "object", properties: { a: { type: "string", maxLength: 2 } } }, { type: "object" }] }, "anyOf"],
    ["nested $defs", obj({ a: { $defs: {}, type: "string" } }), "properties.a.$defs"],
    ["draft-4 items array", { type: "array", items: [{ type: "string" }] }, "items"],
    ["remote $ref", { $ref: "https://example.com/s.json" }, "$ref"],
    ["minimum without type", obj({ a: { minimum: 1 } }), "properties.a.minimum"],
    ["lookahead", obj({ a: { type: "string", pattern: "(?=x)x" } }), "properties.a.pattern"],
    ["backreference", obj({ a: { type: "string", pattern: "(a)\\1" } }), "properties.a.pattern"],
    ["word boundary", obj({ a: { type: "string", pattern: "\\bx" } }), "properties.a.pattern"],
    ["anchor in the middle", obj({ a: { type: "string", pattern: "a^b" } }), "properties.a.pattern"],
    ["costly bounded repeat", obj({ a: { type: "string", pattern: "^(ab){0,100}c$" } }), "properties.a.pattern"],
    ["large non-ASCII range", obj({ a: { type: "string", pattern: "^[\\u4e00-\\u9fff]x$" } }), "properties.a.pattern"],
  ];
  for (const [name, schema, path] of cases) {
    test(name, () => {
      const r = refusal(schema);
      expect(r.path).toBe(path);
      expect(["unsupported_keyword", "unsupported_pattern", "schema_too_complex", "invalid_schema"]).toContain(r.code);
    });
  }
});

describe("schemas the engine would abort on, or never finish, are refused before it sees them", () => {
  const cases: [string, unknown, string][] = [
    ["bad type", { type: "foo" }, "type"],
    ["type array with a bad name", { type: ["string", 3] }, "type[1]"],
    ["minimum above maximum", obj({ n: { type: "integer", minimum: 5, maximum: 4 } }), "properties.n"],
    ["minLength above maxLength", obj({ s: { type: "string", minLength: 5, maxLength: 4 } }), "properties.s.minLength"],
    ["minItems above maxItems", obj({ a: { type: "array", minItems: 3, maxItems: 2 } }), "properties.a.minItems"],
    ["unknown $ref", { $ref: "#/$defs/Missing" }, "$ref"],
    ["required names a missing property", { type: "object", properties: {}, required: ["x"] }, "required[0]"],
    ["recursion without an end", { $defs: { N: { type: "object", properties: { n: { $ref: "#/$defs/N" } }, required: ["n"] } }, $ref: "#/$defs/N" }, "$defs.N"],
    ["self reference only", { $defs: { A: { $ref: "#/$defs/A" } }, $ref: "#/$defs/A" }, "$defs.A"],
    ["empty enum", { enum: [] }, "enum"],
    ["enum values outside the type", { type: "string", enum: [1, 2] }, "enum"],
    ["false schema", obj({ a: false }), "properties.a"],
    ["not an object", [1, 2], ""],
    ["invalid regex", obj({ a: { type: "string", pattern: "(" } }), "properties.a.pattern"],
    ["bound beyond safe integers", obj({ n: { type: "integer", maximum: 1e300 } }), "properties.n.maximum"],
  ];
  for (const [name, schema, path] of cases) {
    test(name, () => expect(refusal(schema).path).toBe(path));
  }
});

describe("accepted schemas", () => {
  test("annotations are dropped; the key is canonical", () => {
    const a = checkJsonSchema({ $schema: "x", $id: "y", title: "T", description: "D", $comment: "c", type: "object", properties: { a: { type: "integer", default: 1, examples: [2], deprecated: false } } });
    const b = checkJsonSchema({ type: "object", properties: { a: { type: "integer" } } });
    expect(a.key).toBe(b.key);
  });
  test("what pydantic emits: $defs, $ref with description, Optional as anyOf with null, discriminated oneOf", () => {
    const schema = {
      $defs: {
        Cat: { properties: { pet_type: { const: "cat", title: "Pet Type" }, meows: { type: "integer", title: "Meows" } }, required: ["pet_type", "meows"], title: "Cat", type: "object" },
        Dog: { properties: { pet_type: { const: "dog", title: "Pet Type" }, barks: { type: "number", title: "Barks" } }, required: ["pet_type", "barks"], title: "Dog", type: "object" },
      },
      properties: {
        pet: { discriminator: { mapping: { cat: "#/$defs/Cat", dog: "#/$defs/Dog" }, propertyName: "pet_type" }, oneOf: [{ $ref: "#/$defs/Cat" }, { $ref: "#/$defs/Dog" }], title: "Pet" },
        nickname: { anyOf: [{ type: "string", maxLength: 20 }, { type: "null" }], default: null, title: "Nickname" },
        owner: { $ref: "#/$defs/Cat", description: "who" },
      },
      required: ["pet"],
      title: "Model",
      type: "object",
    };
    expect(() => checkJsonSchema(schema)).not.toThrow();
  });
  test("integer bounds are normalized to inclusive whole numbers", () => {
    expect(checkJsonSchema({ type: "integer", exclusiveMinimum: 1.5, maximum: 9.9 }).schema).toEqual({ type: "integer", minimum: 2, maximum: 9 });
  });
  test("^C{m,n}$ moves its bounds to the length overlay", () => {
    expect(checkJsonSchema({ type: "string", pattern: "^[a-z]{2,300}$" }).schema).toEqual({ type: "string", pattern: "^[a-z]*$", minLength: 2, maxLength: 300 });
  });
});

describe("tool definitions", () => {
  const weather = { type: "function", function: { name: "w", parameters: { type: "object", properties: { c: { type: "number", maximum: 3 } } } } };
  test("a parameters keyword we cannot enforce names its full path", () => {
    try {
      toolRequest([weather], "auto", true);
      throw new Error("accepted");
    } catch (err) {
      expect((err as GrammarError).path).toBe("tools[0].function.parameters.properties.c.maximum");
    }
  });
  test("tool_choice naming an unknown function, malformed tools", () => {
    const ok = { type: "function", function: { name: "f", parameters: { type: "object" } } };
    const path = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as GrammarError).path;
      }
      return "accepted";
    };
    expect(path(() => toolRequest([ok], { type: "function", function: { name: "g" } }, true))).toBe("tool_choice.function.name");
    expect(path(() => toolRequest([ok], "sometimes", true))).toBe("tool_choice");
    expect(path(() => toolRequest({}, "auto", true))).toBe("tools");
    expect(path(() => toolRequest([{ type: "retrieval" }], "auto", true))).toBe("tools[0].type");
    expect(path(() => toolRequest([{ type: "function", function: { name: "bad name" } }], "auto", true))).toBe("tools[0].function.name");
    expect(path(() => toolRequest([ok, ok], "auto", true))).toBe("tools[1].function.name");
    expect(path(() => toolRequest([ok], "auto", true))).toBe("accepted");
  });
});

describe("response_format and the tool plan (what the chat handler calls)", () => {
  test("response_format", async () => {
    const { responseFormatGrammar } = await import("../../src/engine/grammar/response-format.ts");
    expect(responseFormatGrammar({ type: "text" })).toBeNull();
    expect(responseFormatGrammar({ type: "json_object" })).toEqual({ kind: "json_object" });
    expect(responseFormatGrammar({ type: "json_schema", json_schema: { name: "x", strict: true, schema: { type: "integer", minimum: 1 } } })).toEqual({ kind: "json_schema", schema: { type: "integer", minimum: 1 } });
    const err = (() => {
      try {
        responseFormatGrammar({ type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { age: { type: "number", minimum: 0 } } } } });
      } catch (e) {
        return e as GrammarError;
      }
    })();
    expect(err?.path).toBe("response_format.json_schema.schema.properties.age.minimum");
  });
  test("tool plan: family, forced grammar, finish reason", async () => {
    const { toolPlan } = await import("../../src/engine/tools/tool-plan.ts");
    const tools = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];
    const named = toolPlan("{{ '<tool_call>' }}{% if tools %}{% endif %}", [], [{ role: "user", content: "hi" }], { tools, tool_choice: { type: "function", function: { name: "f" } } })!;
    expect(named.family).toBe("hermes");
    expect(named.grammar?.kind).toBe("tagged_json");
    expect(named.callsFinishReason).toBe("stop");
    const auto = toolPlan(null, [], [{ role: "user", content: "hi" }], { tools })!;
    expect(auto.family).toBe("default");
    expect(auto.grammar).toBeNull();
    expect(auto.callsFinishReason).toBe("tool_calls");
    expect(auto.rendering.messages[0]!.role).toBe("system");
    expect(toolPlan(null, [], [], { tools, tool_choice: "none" })!.parser).toBeNull();
  });
});
