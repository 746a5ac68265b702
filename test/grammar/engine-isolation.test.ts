import { afterAll, beforeAll, expect, test } from "bun:test";
import type { GrammarEngine } from "../../src/engine/grammar/grammar-engine.ts";
import { GrammarError } from "../../src/engine/grammar/grammar-error.ts";
import type { GrammarSpec } from "../../src/engine/grammar/grammar-spec.ts";
import { checkJsonSchema } from "../../src/engine/grammar/schema-check.ts";
import type { TextTokenizer } from "../../src/engine/tokenizer/text-tokenizer.ts";
import { allowedIds, drive, testEngine, validate } from "./grammar-kit.ts";

const SCHEMA = { type: "object", properties: { name: { type: "string", maxLength: 6 }, n: { type: "integer", minimum: 10, maximum: 20 } }, required: ["name", "n"], additionalProperties: false };

let engine: GrammarEngine;
let tokenizer: TextTokenizer;
let vocab: number;
let stops: number[];
const restarts: string[] = [];
beforeAll(async () => {
  ({ engine, tokenizer, vocab, stops } = await testEngine("test-chat", { compileTimeoutMs: 2500, onRestart: (why) => restarts.push(why) }));
});
afterAll(() => engine.shutdown());

/** Input our allow-list would refuse, sent to the engine directly: its WASM module aborts on it. */
const POISON: GrammarSpec = { kind: "json_schema", schema: { type: "foo" } };

test("an engine abort fails only that request; a live sequence goes on, replayed into the new worker", async () => {
  const grammar = await engine.prepare({ kind: "json_schema", schema: checkJsonSchema(SCHEMA).schema });
  const live = engine.constraint(grammar);
  // Half a value in, then the engine dies under someone else's request.
  const first = await live.nextMask();
  const brace = allowedIds(first!, vocab)[0]!;
  live.accept(brace);
  const before = engine.stats.restarts;
  const refused = await engine.prepare(POISON).then(() => null, (err: unknown) => err);
  expect(refused).toBeInstanceOf(GrammarError);
  expect((refused as GrammarError).code).toBe("engine_failed");
  expect(engine.stats.restarts).toBe(before + 1);
  // The live sequence finishes as if nothing happened, and its output is valid.
  const rest = await drive(tokenizer, live, { seed: 11, vocab, stops, maxSteps: 400 });
  const text = tokenizer.decode([brace, ...rest.ids], false);
  expect(validate(SCHEMA, text).errors).toBe("");
  // And new requests work on the fresh worker.
  const again = await drive(tokenizer, engine.constraint(await engine.prepare({ kind: "json_object" })), { seed: 3, vocab, stops });
  expect(again.stopped).toBe(true);
});

test("a compile past its time limit is refused with schema_too_complex, others unaffected", async () => {
  const grammar = await engine.prepare({ kind: "json_schema", schema: checkJsonSchema(SCHEMA).schema });
  const live = engine.constraint(grammar);
  // A bounded repeat of a broad class, which our allow-list would refuse: the engine takes tens of seconds on it
  // (far past the 2.5 s limit on any machine; the worker is terminated at the limit, so the test waits only that).
  const slow: GrammarSpec = { kind: "json_schema", schema: { type: "string", pattern: "^[\\u0020-\\u0021\\u0023-\\u005b\\u005d-\\u007e]{0,2000}$" } };
  const refused = await engine.prepare(slow).then(() => null, (err: unknown) => err);
  expect(refused).toBeInstanceOf(GrammarError);
  expect((refused as GrammarError).message).toContain("took longer");
  expect((refused as GrammarError).code).toBe("schema_too_complex");
  const run = await drive(tokenizer, live, { seed: 5, vocab, stops, maxSteps: 400 });
  expect(validate(SCHEMA, run.text).errors).toBe("");
}, 60_000);

test("all constrained rows of a batch step travel in one message", async () => {
  const grammar = await engine.prepare({ kind: "json_object" });
  const rows = Array.from({ length: 8 }, () => engine.constraint(grammar));
  await Promise.all(rows.map((r) => r.nextMask())); // let the opens settle
  const before = engine.stats.stepMessages;
  const masks = await Promise.all(rows.map((r) => r.nextMask()));
  expect(engine.stats.stepMessages - before).toBe(1);
  for (const m of masks) expect(allowedIds(m!, vocab).length).toBeGreaterThan(0);
  rows.forEach((r) => r.dispose());
});
