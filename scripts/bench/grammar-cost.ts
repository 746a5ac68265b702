// `bun run scripts/bench/grammar-cost.ts [--model test-chat]` — what constrained decoding costs per step, off the
// model: worker start, compile per grammar (first and cached), and the round trip of one batch step's masks
// (the worker's xgrammar mask + our overlay + transfer), for 1 and 8 rows. Random-logit rows, as in the tests.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { GrammarEngine } from "../../src/engine/grammar/grammar-engine.ts";
import type { GrammarSpec } from "../../src/engine/grammar/grammar-spec.ts";
import { grammarVocabulary } from "../../src/engine/grammar/grammar-vocabulary.ts";
import { checkJsonSchema } from "../../src/engine/grammar/schema-check.ts";
import { TextTokenizer } from "../../src/engine/tokenizer/text-tokenizer.ts";
import { toolCallGrammar } from "../../src/engine/tools/tool-call-grammar.ts";
import { toolRequest } from "../../src/engine/tools/tool-definitions.ts";
import { markdownTable } from "./markdown-table.ts";
import { percentile } from "./percentile.ts";

const { values } = parseArgs({ options: { model: { type: "string", default: "test-chat" }, steps: { type: "string", default: "60" } } });
const dir = join(process.env.TEST_MODELS_DIR ?? ".cache/test-models", values.model!);
const tokenizer = await TextTokenizer.load(dir, { chatTemplate: null, tiktoken: null });
const vocabSize = tokenizer.vocabSize;
const stops = [...tokenizer.specialIds];
const steps = Number(values.steps);

let t = performance.now();
const engine = new GrammarEngine(grammarVocabulary(tokenizer, vocabSize, stops));
await engine.prepare({ kind: "json_object" });
const startMs = performance.now() - t;

const schema = (s: object): GrammarSpec => ({ kind: "json_schema", schema: checkJsonSchema(s).schema });
const tools = toolRequest([{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string", maxLength: 40 }, days: { type: "integer", minimum: 1, maximum: 14 } }, required: ["city", "days"] } } }], "required", true)!;
const cases: [string, GrammarSpec][] = [
  ["json_object", { kind: "json_object" }],
  ["3 fields", schema({ type: "object", properties: { name: { type: "string" }, age: { type: "integer" }, ok: { type: "boolean" } }, required: ["name", "age", "ok"] })],
  ["maxLength 200 string", schema({ type: "object", properties: { s: { type: "string", maxLength: 200 } }, required: ["s"] })],
  ["integer 0..120", schema({ type: "object", properties: { n: { type: "integer", minimum: 0, maximum: 120 } }, required: ["n"] })],
  ["$defs + anyOf + pattern + format", schema({ $defs: { P: { type: "object", properties: { id: { type: "string", format: "uuid" }, tag: { type: "string", pattern: "^[a-z]+-[0-9]{2}$" }, next: { anyOf: [{ $ref: "#/$defs/P" }, { type: "null" }] } }, required: ["id", "tag", "next"] } }, $ref: "#/$defs/P" })],
  ["hermes tool call (required)", toolCallGrammar("hermes", tools)!],
];

function pickAllowed(mask: Uint32Array, rand: () => number): number {
  const allowed: number[] = [];
  for (let id = 0; id < vocabSize; id++) if ((mask[id >> 5]! >>> (id & 31)) & 1) allowed.push(id);
  const short = allowed.filter((id) => id < 256);
  const pool = short.length > 0 && rand() < 0.7 ? short : allowed;
  return pool[Math.floor(rand() * pool.length)]!;
}


let seed = 1;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const rows: string[][] = [];
for (const [name, spec] of cases) {
  t = performance.now();
  const grammar = await engine.prepare(spec);
  const compileMs = performance.now() - t;
  t = performance.now();
  await engine.prepare(spec);
  const cachedMs = performance.now() - t;
  const perStep: Record<number, number[]> = { 1: [], 8: [] };
  for (const rowsInBatch of [1, 8]) {
    let live = Array.from({ length: rowsInBatch }, () => engine.constraint(grammar));
    for (let s = 0; s < steps && live.length > 0; s++) {
      t = performance.now();
      const masks = await Promise.all(live.map((c) => c.nextMask()));
      perStep[rowsInBatch]!.push(performance.now() - t);
      const next: typeof live = [];
      live.forEach((c, i) => {
        const id = pickAllowed(masks[i]!, rand);
        if (stops.includes(id)) return c.dispose();
        c.accept(id);
        next.push(c);
      });
      live = next.length > 0 ? next : Array.from({ length: rowsInBatch }, () => engine.constraint(grammar));
    }
    live.forEach((c) => c.dispose());
  }
  rows.push([name, compileMs.toFixed(0), cachedMs.toFixed(2), percentile(perStep[1]!, 50).toFixed(2), percentile(perStep[1]!, 95).toFixed(2), percentile(perStep[8]!, 50).toFixed(2), percentile(perStep[8]!, 95).toFixed(2)]);
}
engine.shutdown();
console.log(`grammar worker start + tokenizer info (${vocabSize} tokens): ${startMs.toFixed(0)} ms\n`);
console.log(markdownTable(["grammar", "compile ms", "cached ms", "1 row p50 ms", "1 row p95 ms", "8 rows p50 ms", "8 rows p95 ms"], rows));
console.log("\nPer-step figures are one batch step's round trip to the worker (mask + overlay + transfer), not including applying the mask to logits.");
