/**
 * A tokenizer given only as vocab.json + merges.txt (+ added and special tokens) is assembled into a tokenizer.json
 * that encodes and decodes exactly like the fast tokenizer of the same vocabulary: test-chat's (GPT-2 + ChatML
 * specials at the same ids) and test-gpt2's.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConvertError } from "../../src/convert/convert-error.ts";
import { assembleTokenizerJson, SLOW_TOKENIZER_FILES, type SlowTokenizerTexts } from "../../src/engine/tokenizer/assemble-tokenizer-json.ts";
import { TextTokenizer } from "../../src/engine/tokenizer/text-tokenizer.ts";
import { testModelPath } from "../models/test-models-dir.ts";

const SAMPLES = [
  "The quick brown fox jumps over the lazy dog.",
  "emoji 👩‍👩‍👧‍👦 🇺🇳 😀!!  CJK 日本語のテキスト、中文字符和한국어",
  "combining marks: e\u0301 a\u0308 \u0915\u094d\u0937 — control \u0000 \u0007 \u007f NBSP\u00a0ZWJ\u200d",
  "  leading spaces,\ttabs,\nnew lines\r\n and trailing   ",
  "code: if (x <= 10) { return y**2; } // don't 3.14159 ½",
  "<|im_start|>user\nhi there<|im_end|>\n<|im_start|>assistant\n",
  "text<|endoftext|>more<|endoftext|>",
];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "assemble-tokenizer-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function slowFiles(dir: string): SlowTokenizerTexts {
  const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8") : null);
  const files = Object.fromEntries(SLOW_TOKENIZER_FILES.map((f) => [f, read(f)])) as Record<string, string | null>;
  return { ...files, "vocab.json": files["vocab.json"]!, "merges.txt": files["merges.txt"]! };
}

async function loadAssembled(files: SlowTokenizerTexts, name: string): Promise<TextTokenizer> {
  const { tokenizerJson, tokenizerConfig } = assembleTokenizerJson(files);
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify(tokenizerJson));
  fs.writeFileSync(path.join(dir, "tokenizer_config.json"), JSON.stringify(tokenizerConfig));
  return TextTokenizer.load(dir, { chatTemplate: null, tiktoken: null });
}

describe("vocab.json + merges.txt + added tokens of ckpt-vocab-merges", () => {
  let assembled: TextTokenizer;
  let chat: TextTokenizer;
  let gpt2: TextTokenizer;
  beforeAll(async () => {
    const dir = testModelPath("ckpt-vocab-merges");
    expect(fs.existsSync(path.join(dir, "tokenizer.json"))).toBe(false);
    assembled = await loadAssembled(slowFiles(dir), "vocab-merges");
    chat = await TextTokenizer.load(testModelPath("test-chat"), { chatTemplate: null, tiktoken: null });
    gpt2 = await TextTokenizer.load(testModelPath("test-gpt2"), { chatTemplate: null, tiktoken: null });
  });

  test("gives test-chat's tokenizer.json ids, special tokens included, and decodes them back", () => {
    expect(assembled.encode(SAMPLES[0]!, false)).toEqual([464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13]);
    for (const text of SAMPLES) {
      const ids = assembled.encode(text, false);
      expect(ids).toEqual(chat.encode(text, false));
      expect(assembled.decode(ids, false)).toBe(chat.decode(ids, false));
      expect(assembled.decode(ids, true)).toBe(chat.decode(ids, true));
    }
    expect(assembled.encode("<|im_start|>", false)).toEqual([50257]);
  });

  test("gives test-gpt2's ids on ordinary text", () => {
    for (const text of SAMPLES.slice(0, 5)) expect(assembled.encode(text)).toEqual(gpt2.encode(text));
  });

  test("knows the vocabulary size, the special tokens and EOS", () => {
    expect(assembled.vocabSize).toBe(50259);
    expect([...assembled.specialIds].sort()).toEqual([50256, 50257, 50258]);
    expect(assembled.eosTokenId).toBe(50258);
    expect(assembled.bosTokenId).toBe(50256);
    expect(assembled.tokenBytes(464)).toEqual([...Buffer.from("The")]);
  });
});

test("add_bos_token prepends BOS, as GPT2Tokenizer with add_bos_token does", async () => {
  const files = slowFiles(testModelPath("ckpt-vocab-merges"));
  const config = { ...JSON.parse(files["tokenizer_config.json"]!), add_bos_token: true };
  const t = await loadAssembled({ ...files, "tokenizer_config.json": JSON.stringify(config) }, "bos");
  expect(t.encode("Hello", true)).toEqual([50256, 15496]);
  expect(t.encode("Hello", false)).toEqual([15496]);
});

test("malformed files are ConvertErrors naming the file", () => {
  const files = slowFiles(testModelPath("ckpt-vocab-merges"));
  const fails = (patch: Partial<SlowTokenizerTexts>, file: string, message: RegExp) => {
    let caught: unknown;
    try {
      assembleTokenizerJson({ ...files, ...patch });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConvertError);
    expect((caught as ConvertError).file).toBe(file);
    expect((caught as ConvertError).message).toMatch(message);
  };
  fails({ "merges.txt": "#version: 0.2\nĠ t h\n" }, "merges.txt", /line 2 is not two tokens/);
  fails({ "vocab.json": "[1, 2]" }, "vocab.json", /is not a JSON object/);
  fails({ "vocab.json": '{"a": 0, "b": 0}' }, "vocab.json", /id 0 is given to two tokens/);
  fails({ "vocab.json": '{"a": -3}' }, "vocab.json", /has id -3, not a token id/);
  fails({ "added_tokens.json": '{"<x>": "12"}' }, "added_tokens.json", /has id "12"/);
  fails({ "tokenizer_config.json": '{"tokenizer_class": "LlamaTokenizer"}' }, "tokenizer_config.json", /only GPT-2's byte-level BPE can be assembled/);
});
