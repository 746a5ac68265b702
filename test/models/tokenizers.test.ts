/** The test models' tokenizer files, loaded by transformers.js, behave like GPT-2's real tokenizer. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AutoTokenizer, env, type PreTrainedTokenizer } from "@huggingface/transformers";
import type { Tiktoken } from "tiktoken";
import { getTiktokenEncoding } from "../../src/platform/tiktoken.ts";
import { testModelPath } from "./test-models-dir.ts";

env.allowRemoteModels = false;

const SAMPLES = [
  "The quick brown fox jumps over the lazy dog.",
  "emoji 👩‍👩‍👧‍👦 🇺🇳 😀!!",
  "CJK 日本語のテキスト、中文字符和한국어",
  "combining marks: e\u0301 a\u0308 \u0915\u094d\u0937 Z\u0351\u0356",
  "  leading spaces,\ttabs,\nnew lines\r\n and trailing   ",
  "code: if (x <= 10) { return y**2; } // don't",
  "control \u0000 \u0007 \u007f and NBSP\u00a0ZWJ\u200d",
  "numbers 3.14159 1,000,000 0x1F600 ½ ① Ⅻ",
];

describe("test-gpt2 tokenizer", () => {
  let tokenizer: PreTrainedTokenizer;
  let tiktoken: Tiktoken;
  beforeAll(async () => {
    tokenizer = await AutoTokenizer.from_pretrained(testModelPath("test-gpt2"));
    // The server's own loader: the default "tiktoken" entry and "tiktoken/init" cannot share one test process.
    tiktoken = await getTiktokenEncoding("gpt2");
  });

  test("encodes the pangram to GPT-2's ids", () => {
    expect(tokenizer.encode("The quick brown fox jumps over the lazy dog.")).toEqual([
      464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13,
    ]);
  });

  test("gives the same ids as tiktoken's gpt2 encoding", () => {
    for (const text of SAMPLES) expect(tokenizer.encode(text)).toEqual(Array.from(tiktoken.encode_ordinary(text)));
  });

  test("round-trips valid UTF-8 exactly", () => {
    for (const text of SAMPLES) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  test("replaces a lone surrogate with U+FFFD, as UTF-8 encoding does", () => {
    const ids = tokenizer.encode("a\ud800b \udc00");
    expect(tokenizer.decode(ids)).toBe("a\ufffdb \ufffd");
  });

  test("<|endoftext|> is one special token, id 50256", () => {
    expect(tokenizer.encode("hi<|endoftext|>")).toEqual([5303, 50256]);
    expect(tokenizer.eos_token_id).toBe(50256);
    expect(tokenizer.decode([5303, 50256], { skip_special_tokens: true })).toBe("hi");
  });
});

describe("test-chat tokenizer", () => {
  let tokenizer: PreTrainedTokenizer;
  beforeAll(async () => {
    tokenizer = await AutoTokenizer.from_pretrained(testModelPath("test-chat"));
  });

  test("renders a conversation in ChatML with the generation prompt", () => {
    const text = tokenizer.apply_chat_template(
      [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Hi!" },
        { role: "assistant", content: "Hello." },
        { role: "tool", content: "{\"ok\":true}" },
      ],
      { tokenize: false, add_generation_prompt: true },
    );
    expect(text).toBe(
      "<|im_start|>system\nYou are terse.<|im_end|>\n" +
        "<|im_start|>user\nHi!<|im_end|>\n" +
        "<|im_start|>assistant\nHello.<|im_end|>\n" +
        "<|im_start|>tool\n{\"ok\":true}<|im_end|>\n" +
        "<|im_start|>assistant\n",
    );
  });

  test("without add_generation_prompt the text ends after the last message", () => {
    const text = tokenizer.apply_chat_template([{ role: "user", content: "Hi!" }], { tokenize: false });
    expect(text).toBe("<|im_start|>user\nHi!<|im_end|>\n");
  });

  test("<|im_start|> and <|im_end|> are single special ids; <|im_end|> is EOS", () => {
    expect(tokenizer.encode("<|im_start|>")).toEqual([50257]);
    expect(tokenizer.encode("<|im_end|>")).toEqual([50258]);
    expect(tokenizer.eos_token).toBe("<|im_end|>");
    expect(tokenizer.eos_token_id).toBe(50258);
    expect(tokenizer.pad_token_id).toBe(50256);
    expect(tokenizer.encode("<|im_start|>user\nHi<|im_end|>\n")).toEqual([50257, 7220, 198, 17250, 50258, 198]);
  });
});
