import { afterAll, beforeAll, expect, test } from "bun:test";
import type { GrammarEngine } from "../../src/engine/grammar/grammar-engine.ts";
import type { TextTokenizer } from "../../src/engine/tokenizer/text-tokenizer.ts";
import { toolCallGrammar } from "../../src/engine/tools/tool-call-grammar.ts";
import { ToolCallParser } from "../../src/engine/tools/tool-call-parser.ts";
import { toolRequest } from "../../src/engine/tools/tool-definitions.ts";
import type { ToolFamily } from "../../src/engine/tools/tool-family.ts";
import { drive, testEngine, validate } from "../grammar/grammar-kit.ts";

const TOOLS = [
  { type: "function", function: { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string", maxLength: 12 }, unit: { enum: ["c", "f"] } }, required: ["city", "unit"], additionalProperties: false } } },
  { type: "function", function: { name: "add", parameters: { type: "object", properties: { a: { type: "integer", minimum: 0, maximum: 99 }, b: { type: "integer" } }, required: ["a", "b"] } } },
];

let engine: GrammarEngine;
let tokenizer: TextTokenizer;
let vocab: number;
let stops: number[];
beforeAll(async () => {
  ({ engine, tokenizer, vocab, stops } = await testEngine("test-chat"));
});
afterAll(() => engine.shutdown());

for (const family of ["hermes", "llama3", "mistral", "default"] as ToolFamily[]) {
  for (const [label, choice, parallel] of [
    ["named", { type: "function", function: { name: "add" } }, true],
    ["required", "required", true],
    ["required, parallel_tool_calls false", "required", false],
  ] as const) {
    test(`${family}: ${label} gives parseable calls whose arguments validate`, async () => {
      const tools = toolRequest(TOOLS, choice, parallel)!;
      const grammar = await engine.prepare(toolCallGrammar(family, tools)!);
      for (let seed = 1; seed <= 3; seed++) {
        const run = await drive(tokenizer, engine.constraint(grammar), { seed: seed * 104729, vocab, stops, maxSteps: 1500 });
        expect(run.stopped).toBe(true);
        const parser = new ToolCallParser(family);
        const events = [...parser.feed(run.text), ...parser.finish()];
        const calls: { name: string; args: string }[] = [];
        for (const e of events) {
          if (e.type === "call") calls.push({ name: e.name, args: "" });
          else if (e.type === "arguments") calls[e.index]!.args += e.text;
          else expect(e.text.trim()).toBe("");
        }
        expect(calls.length).toBeGreaterThanOrEqual(1);
        if (label !== "required") expect(calls.length).toBe(1);
        if (label === "named") expect(calls[0]!.name).toBe("add");
        for (const call of calls) {
          const def = TOOLS.find((t) => t.function.name === call.name)!;
          expect(validate(def.function.parameters, call.args).errors).toBe("");
        }
      }
    });
  }
}
