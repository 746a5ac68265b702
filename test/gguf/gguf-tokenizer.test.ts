/**
 * Tokenizers built from GGUF metadata alone give llama.cpp's ids (recorded with llama-tokenize from the same
 * files, special tokens parsed, with and without the file's BOS) for every supported tokenizer.ggml.pre and for
 * SentencePiece; chat templates, special tokens and token texts come through.
 */
import { describe, expect, test } from "bun:test";
import { ConvertError } from "../../src/convert/convert-error.ts";
import { GgufFile } from "../../src/convert/gguf/gguf-file.ts";
import { GgufMetadata, type GgufValue } from "../../src/convert/gguf/gguf-metadata.ts";
import { SUPPORTED_PRE_TOKENIZERS } from "../../src/engine/tokenizer/gguf-pre-tokenizers.ts";
import { ggufTextTokenizer } from "../../src/engine/tokenizer/gguf-tokenizer.ts";
import { fixture, tokenizerIds } from "./helpers/fixtures.ts";

const metadataOf = (file: string): GgufMetadata => {
  const f = GgufFile.open(fixture(file));
  f.close();
  return f.header.metadata;
};

const withEntries = (meta: GgufMetadata, changes: Record<string, GgufValue | undefined>): GgufMetadata => {
  const entries = new Map(meta.entries);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) entries.delete(k);
    else entries.set(k, v);
  }
  return new GgufMetadata(entries, meta.file);
};

describe("token ids equal llama-tokenize's", () => {
  for (const [file, cases] of Object.entries(tokenizerIds())) {
    test(file, () => {
      const tok = ggufTextTokenizer(metadataOf(`tokenizers/${file}`));
      for (const c of cases) {
        expect({ text: c.text, ids: tok.encode(c.text, true) }).toEqual({ text: c.text, ids: c.ids });
        expect({ text: c.text, ids: tok.encode(c.text, false) }).toEqual({ text: c.text, ids: c.ids_no_bos });
      }
    });
  }

  test("the cases tell the rules apart (no two distinct rules give the same ids on every string)", () => {
    const ids = tokenizerIds();
    const distinct = ["default", "gpt-2", "llama-bpe", "dbrx", "qwen2", "starcoder", "falcon", "deepseek-llm", "deepseek-coder", "gpt-4o", "tekken"];
    for (const a of distinct) {
      for (const b of distinct) {
        if (a >= b) continue;
        const same = ids[`bpe-${a}.gguf`]!.every((c, i) => JSON.stringify(c.ids_no_bos) === JSON.stringify(ids[`bpe-${b}.gguf`]![i]!.ids_no_bos));
        expect({ a, b, same }).toEqual({ a, b, same: false });
      }
    }
  });
});

describe("decoding", () => {
  test("byte-level BPE decodes its ids back to the text exactly", () => {
    for (const [file, cases] of Object.entries(tokenizerIds())) {
      if (!file.startsWith("bpe-")) continue;
      const tok = ggufTextTokenizer(metadataOf(`tokenizers/${file}`));
      for (const c of cases) expect(tok.decode(c.ids_no_bos, false)).toBe(c.text);
    }
  });

  test("SentencePiece decodes without the prefix space and with byte fallback", () => {
    const tok = ggufTextTokenizer(metadataOf("tokenizers/spm.gguf"));
    for (const c of tokenizerIds()["spm.gguf"]!) {
      if (/<s>|<\/s>|<\||<tool_call>/.test(c.text)) continue; // text after a special token gets its own prefix space
      expect(tok.decode(c.ids_no_bos, false)).toBe(c.text);
    }
    // token texts and bytes as logprobs show them: leading space kept, a byte token is its byte
    const ids = tok.encode(" Hello 中", false);
    expect(ids.map((id) => tok.tokenText(id)).join("")).toBe("  Hello \uFFFD\uFFFD\uFFFD");
    expect(ids.flatMap((id) => tok.tokenBytes(id))).toEqual([...Buffer.from("  Hello 中")]);
  });
});

describe("special tokens and templates", () => {
  test("qwen2 fixture: ChatML template, <|im_end|> as EOS, no BOS", () => {
    const tok = ggufTextTokenizer(metadataOf("qwen2-f32.gguf"));
    expect(tok.eosTokenId).toBe(319);
    expect(tok.encode("hi", true)).toEqual(tok.encode("hi", false));
    expect(tok.renderChat([{ role: "user", content: "hi" }], true)).toBe("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
    expect(tok.specialIds.has(317) && tok.specialIds.has(318) && tok.specialIds.has(319)).toBe(true);
  });

  test("llama-bpe fixture adds <|begin_of_text|>; its template uses it", () => {
    const tok = ggufTextTokenizer(metadataOf("llama-f32.gguf"));
    expect(tok.bosTokenId).toBe(315);
    expect(tok.encode("hi", true)[0]).toBe(315);
    expect(tok.renderChat([{ role: "user", content: "hi" }], true)).toBe("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  });

  test("SentencePiece fixture: <s> added, </s> ends, <unk> known", () => {
    const tok = ggufTextTokenizer(metadataOf("tiny-llama-256-F16.gguf"));
    expect([tok.bosTokenId, tok.eosTokenId]).toEqual([1, 2]);
    expect(tok.encode("hi", true)[0]).toBe(1);
    expect(tok.renderChat([{ role: "user", content: "hi" }], false)).toBe("<s>[INST] hi [/INST]");
  });

  test("add_bos_token in the file overrides the default", () => {
    const meta = withEntries(metadataOf("tokenizers/bpe-llama-bpe.gguf"), { "tokenizer.ggml.add_bos_token": { type: "bool", value: false } });
    const tok = ggufTextTokenizer(meta);
    expect(tok.encode("hi", true)).toEqual(tok.encode("hi", false));
  });
});

describe("refusals name what is wrong", () => {
  test("an unknown tokenizer.ggml.pre", () => {
    const meta = withEntries(metadataOf("tokenizers/bpe-gpt-2.gguf"), { "tokenizer.ggml.pre": { type: "string", value: "kimi-k2" } });
    const error = (() => {
      try {
        ggufTextTokenizer(meta);
      } catch (e) {
        return e as ConvertError;
      }
    })();
    expect(error).toBeInstanceOf(ConvertError);
    expect(error!.code).toBe("unsupported_config");
    expect(error!.message).toContain("tokenizer.ggml.pre kimi-k2 is not supported");
    for (const name of ["gpt-2", "llama-bpe", "qwen2", "tekken"]) expect(error!.message).toContain(name);
    expect(SUPPORTED_PRE_TOKENIZERS.length).toBeGreaterThan(30);
  });

  test("an unknown tokenizer.ggml.model", () => {
    const meta = withEntries(metadataOf("tokenizers/spm.gguf"), { "tokenizer.ggml.model": { type: "string", value: "bert" } });
    expect(() => ggufTextTokenizer(meta)).toThrow("tokenizer.ggml.model bert is not supported (supported: gpt2, llama)");
  });

  test("a BPE file without merges, and duplicate tokens", () => {
    const meta = metadataOf("tokenizers/bpe-gpt-2.gguf");
    expect(() => ggufTextTokenizer(withEntries(meta, { "tokenizer.ggml.merges": undefined }))).toThrow("needs tokenizer.ggml.merges");
    const tokens = [...meta.stringArray("tokenizer.ggml.tokens")!];
    tokens[5] = tokens[4]!;
    expect(() => ggufTextTokenizer(withEntries(meta, { "tokenizer.ggml.tokens": { type: "array", itemType: "string", value: tokens } }))).toThrow("appears twice");
  });
});
