/** transformers.js loads every test model from disk and runs it: greedy generation and embeddings. */
import { describe, expect, test } from "bun:test";
import {
  AutoModel,
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  pipeline,
  type Tensor,
} from "@huggingface/transformers";
import { DecoderSession, argmax } from "./decoder-session.ts";
import { testModelPath } from "./test-models-dir.ts";

env.allowRemoteModels = false;

function ids(t: Tensor): number[][] {
  return (t.tolist() as bigint[][]).map((row) => row.map(Number));
}

describe.each(["test-gpt2", "test-chat"])("%s in transformers.js", (name) => {
  test("greedy generation matches the graph's argmax, alone and in a left-padded batch", async () => {
    const dir = testModelPath(name);
    const tokenizer = await AutoTokenizer.from_pretrained(dir);
    const model = await AutoModelForCausalLM.from_pretrained(dir, { dtype: "fp32" });
    try {
      const prompt = "The quick brown fox";
      const single = ids(await model.generate({ ...tokenizer(prompt), max_new_tokens: 5, do_sample: false }) as Tensor)[0]!;
      const promptIds = tokenizer.encode(prompt);
      expect(single.length).toBe(promptIds.length + 5);
      expect(single.slice(0, promptIds.length)).toEqual(promptIds);

      // The first generated token is the argmax of a plain onnxruntime forward pass.
      const d = await DecoderSession.open(dir);
      const logits = await d.full(promptIds);
      const V = d.shape.vocabSize;
      expect(single[promptIds.length]).toBe(argmax(logits, (promptIds.length - 1) * V, promptIds.length * V));

      // A batch with a shorter, left-padded row gives each row the tokens it gets alone.
      tokenizer.padding_side = "left";
      tokenizer.pad_token ??= tokenizer.eos_token; // GPT-2 has no pad token, like the real one
      const other = "Hello";
      const alone = ids(await model.generate({ ...tokenizer(other), max_new_tokens: 5, do_sample: false }) as Tensor)[0]!;
      const batch = ids(
        await model.generate({ ...tokenizer([prompt, other], { padding: true }), max_new_tokens: 5, do_sample: false }) as Tensor,
      );
      expect(batch[0]).toEqual(single);
      expect(batch[1]!.slice(-alone.length)).toEqual(alone);
    } finally {
      await model.dispose();
    }
  });
});

describe("test-embed in transformers.js", () => {
  test("AutoModel returns last_hidden_state [batch, seq, 64]", async () => {
    const dir = testModelPath("test-embed");
    const tokenizer = await AutoTokenizer.from_pretrained(dir);
    const model = await AutoModel.from_pretrained(dir, { dtype: "fp32" });
    try {
      const inputs = tokenizer(["hello world", "a longer sentence here"], { padding: true });
      const { last_hidden_state } = await model(inputs);
      expect(last_hidden_state.dims).toEqual([2, inputs.input_ids.dims[1], 64]);
    } finally {
      await model.dispose();
    }
  });

  test("the feature-extraction pipeline mean-pools and normalises", async () => {
    const extractor = await pipeline("feature-extraction", testModelPath("test-embed"), { dtype: "fp32" });
    try {
      const out = await extractor(["hello world", "hello"], { pooling: "mean", normalize: true });
      expect(out.dims).toEqual([2, 64]);
      const rows = out.tolist() as number[][];
      for (const row of rows) expect(Math.hypot(...row)).toBeCloseTo(1, 5);
      expect(rows[0]).not.toEqual(rows[1]);
    } finally {
      await extractor.dispose();
    }
  });
});
