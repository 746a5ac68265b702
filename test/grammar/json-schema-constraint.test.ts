import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { checkJsonSchema } from "../../src/engine/grammar/schema-check.ts";
import type { GrammarEngine } from "../../src/engine/grammar/grammar-engine.ts";
import type { TextTokenizer } from "../../src/engine/tokenizer/text-tokenizer.ts";
import { drive, testEngine, validate } from "./grammar-kit.ts";

// Each schema uses enforced keywords; random-logit "models" must still produce text that parses and validates
// against the ORIGINAL schema (ajv), for several seeds.
const SCHEMAS: Record<string, object> = {
  enums: { type: "object", properties: { color: { enum: ["red", "green", "blue"] }, n: { const: 7 }, mixed: { enum: [1, "two", null, true] } }, required: ["color", "n", "mixed"], additionalProperties: false },
  boundedStrings: { type: "object", properties: { code: { type: "string", minLength: 2, maxLength: 5 }, note: { type: "string", maxLength: 12 }, tag: { type: "string", minLength: 3 } }, required: ["code", "note", "tag"], additionalProperties: false },
  integerRanges: { type: "object", properties: { age: { type: "integer", minimum: 0, maximum: 120 }, delta: { type: "integer", exclusiveMinimum: -5, exclusiveMaximum: 5 }, big: { type: "integer", minimum: 1000 } }, required: ["age", "delta", "big"] },
  arrays: { type: "object", properties: { tags: { type: "array", items: { type: "string", maxLength: 4 }, minItems: 1, maxItems: 3 }, pair: { type: "array", prefixItems: [{ type: "integer" }, { type: "boolean" }], items: false, minItems: 2 } }, required: ["tags", "pair"] },
  nested: { type: "object", properties: { user: { type: "object", properties: { name: { type: "string", maxLength: 8 }, address: { type: "object", properties: { zip: { type: "string", pattern: "^[0-9]{5}$" } }, required: ["zip"] } }, required: ["name", "address"] } }, required: ["user"] },
  refs: {
    $defs: { Node: { type: "object", properties: { value: { type: "integer" }, next: { anyOf: [{ $ref: "#/$defs/Node" }, { type: "null" }] } }, required: ["value", "next"] } },
    type: "object", properties: { list: { $ref: "#/$defs/Node" } }, required: ["list"],
  },
  definitionsAndAnyOf: {
    definitions: { Cat: { type: "object", properties: { kind: { const: "cat" }, lives: { type: "integer" } }, required: ["kind", "lives"] }, Dog: { type: "object", properties: { kind: { const: "dog" }, good: { type: "boolean" } }, required: ["kind", "good"] } },
    type: "object", properties: { pet: { oneOf: [{ $ref: "#/definitions/Cat" }, { $ref: "#/definitions/Dog" }] }, maybe: { type: ["string", "null"], maxLength: 3 } }, required: ["pet", "maybe"],
  },
  patterns: { type: "object", properties: { sku: { type: "string", pattern: "^[A-Z]{3}-\\d{2,4}$" }, loose: { type: "string", pattern: "^ab+c" }, quoteOk: { type: "string", pattern: '^["\\\\]{1,3}$' } }, required: ["sku", "loose", "quoteOk"] },
  formats: { type: "object", properties: { d: { type: "string", format: "date" }, t: { type: "string", format: "time" }, dt: { type: "string", format: "date-time" }, id: { type: "string", format: "uuid" }, mail: { type: "string", format: "email" } }, required: ["d", "t", "dt", "id", "mail"] },
  annotations: { $schema: "https://json-schema.org/draft/2020-12/schema", $id: "https://example.com/annotated.json", title: "T", description: "D", $comment: "c", type: "object", properties: { a: { type: "boolean", default: true, examples: [false] } }, required: ["a"] },
  numbersAndRoot: { type: "array", items: { type: "number" }, maxItems: 4 },
};

let engine: GrammarEngine;
let tokenizer: TextTokenizer;
let vocab: number;
let stops: number[];

beforeAll(async () => {
  ({ engine, tokenizer, vocab, stops } = await testEngine("test-chat"));
});
afterAll(() => engine.shutdown());

describe("json_schema constraints under random logits (test-chat tokenizer)", () => {
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    test(name, async () => {
      const checked = checkJsonSchema(schema);
      const grammar = await engine.prepare({ kind: "json_schema", schema: checked.schema });
      for (let seed = 1; seed <= 4; seed++) {
        const run = await drive(tokenizer, engine.constraint(grammar), { seed: seed * 7919, vocab, stops, maxSteps: 1500 });
        expect(run.stopped).toBe(true);
        const v = validate(schema, run.text);
        expect(v.errors).toBe("");
      }
    });
  }
});

test("json_object: any JSON object", async () => {
  const grammar = await engine.prepare({ kind: "json_object" });
  for (let seed = 1; seed <= 4; seed++) {
    const run = await drive(tokenizer, engine.constraint(grammar), { seed, vocab, stops, maxSteps: 600 });
    expect(run.stopped).toBe(true);
    const value = JSON.parse(run.text);
    expect(typeof value === "object" && value !== null && !Array.isArray(value)).toBe(true);
  }
});

// Uniform picks wander into corners the biased driver avoids: the constraint must never dead-end (every mask
// non-empty), and whatever finishes must validate.
test("uniformly random walks never dead-end and what finishes validates", async () => {
  const { SeededRandom } = await import("../hardening/seeded-random.ts");
  const { allowedIds } = await import("./grammar-kit.ts");
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    const grammar = await engine.prepare({ kind: "json_schema", schema: checkJsonSchema(schema).schema });
    for (let seed = 1; seed <= 6; seed++) {
      const rng = new SeededRandom(seed * 31 + name.length);
      const c = engine.constraint(grammar);
      const ids: number[] = [];
      for (let step = 0; step < 80; step++) {
        const allowed = allowedIds((await c.nextMask())!, vocab);
        expect(allowed.length).toBeGreaterThan(0);
        const id = allowed[Math.floor(rng.next() * allowed.length)]!;
        if (stops.includes(id)) {
          expect(validate(schema, tokenizer.decode(ids, false)).errors).toBe("");
          break;
        }
        c.accept(id);
        ids.push(id);
      }
      c.dispose();
    }
  }
}, 120_000);

test("test-gpt2's tokenizer (no chat tokens; EOS is the only stop) gives valid output too", async () => {
  const gpt2 = await testEngine("test-gpt2");
  try {
    for (const name of ["boundedStrings", "integerRanges", "refs", "formats"] as const) {
      const schema = SCHEMAS[name]!;
      const grammar = await gpt2.engine.prepare({ kind: "json_schema", schema: checkJsonSchema(schema).schema });
      for (let seed = 1; seed <= 2; seed++) {
        const run = await drive(gpt2.tokenizer, gpt2.engine.constraint(grammar), { seed, vocab: gpt2.vocab, stops: gpt2.stops, maxSteps: 1500 });
        expect(run.stopped).toBe(true);
        expect(validate(schema, run.text).errors).toBe("");
      }
    }
  } finally {
    gpt2.engine.shutdown();
  }
}, 120_000);
