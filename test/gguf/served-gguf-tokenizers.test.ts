/**
 * Tokenization through the server's /tokenize, for a model whose tokenizer comes from GGUF metadata alone, equals
 * llama.cpp's: each vocab-only tokenizer fixture (one per supported tokenizer.ggml.pre, and SentencePiece) is
 * served as a model — its metadata copied byte for byte, tiny weights added — and every recorded string gives the
 * ids llama-tokenize gave, with the file's BOS rule and without it.
 */
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { serverOptions, tempRoot, writeRegistry } from "../checkpoints/served-kit.ts";
import { useServer } from "../helpers/start-server.ts";
import { fixture, tokenizerIds } from "./helpers/fixtures.ts";
import { parseGgufForTest } from "./helpers/gguf-parse.ts";
import { servableVocabGguf } from "./helpers/servable-vocab.ts";

const root = tempRoot("served-gguf-tokenizers");
const cases = Object.entries(tokenizerIds());
const idOf = (file: string) => `tok-${file.replace(/\.gguf$/, "")}`;
for (const [file] of cases) {
  const source = fixture(`tokenizers/${file}`);
  const vocab = (parseGgufForTest(source).kv.get("tokenizer.ggml.tokens") as string[]).length;
  fs.writeFileSync(path.join(root, file), servableVocabGguf(source, vocab));
}
const registry = writeRegistry(root, cases.map(([file]) => ({ name: idOf(file), path: path.join(root, file), device: "cpu" })));
const ctx = useServer(serverOptions(registry, path.join(root, "cache")));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function tokenize(model: string, prompt: string, addSpecialTokens: boolean): Promise<number[]> {
  const res = await fetch(`${ctx.server.url}/tokenize`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, prompt, add_special_tokens: addSpecialTokens }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { tokens: number[] }).tokens;
}

test("every tokenizer fixture is served here (each supported pre rule and SentencePiece)", () => {
  expect(cases.length).toBeGreaterThanOrEqual(18);
  expect(cases.map(([f]) => f)).toContain("spm.gguf");
});

describe.each(cases)("%s", (file, strings) => {
  test("/tokenize gives llama-tokenize's ids, with and without BOS", async () => {
    for (const c of strings) {
      expect({ text: c.text, ids: await tokenize(idOf(file), c.text, true) }).toEqual({ text: c.text, ids: c.ids });
      expect({ text: c.text, ids: await tokenize(idOf(file), c.text, false) }).toEqual({ text: c.text, ids: c.ids_no_bos });
    }
  });
});
