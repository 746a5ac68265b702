/**
 * A checkpoint's config decides what is built, and a config or weights that do not make a buildable model fail
 * with a ConvertError saying what is wrong: unsupported architectures (listing what is), a gpt3dev config that is
 * neither v1 nor v2, unknown rope scalings, absurd sizes, tensors whose shapes do not match the config.
 */
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildDecoder } from "../../src/convert/build-decoder.ts";
import { openCheckpoint } from "../../src/convert/open-checkpoint.ts";
import { copyCheckpoint, editJson, expectConvertError, scratchDir } from "./convert-fixtures.ts";

const tmp = scratchDir("checkpoint-configs");
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let counter = 0;
/** A copy of factory checkpoint `name` with its config.json edited. */
function withConfig(name: string, edit: (c: Record<string, unknown>) => void): string {
  const dir = copyCheckpoint(name, tmp, `${name}-${counter++}`);
  editJson(path.join(dir, "config.json"), edit);
  return dir;
}
const open = async (dir: string) => (await openCheckpoint(dir)).close();

describe("what the config decides", () => {
  test("gpt3dev v1 or v2 comes from the config's own fields, whatever the folder is called", async () => {
    const v1 = await openCheckpoint(copyCheckpoint("ckpt-gpt3dev-v1", tmp, "GPT3-dev-v2-350m"));
    expect(v1.architecture).toMatchObject({ name: "gpt3dev-v1", headDim: 16, heads: 4, hiddenSize: 32, mlp: "gelu_erf", normPlacement: "pre", tiedEmbeddings: false, window: [null, null] });
    await v1.close();
    const v2 = await openCheckpoint(copyCheckpoint("ckpt-gpt3dev-v2", tmp, "GPT3-dev-125m-0104"));
    expect(v2.architecture).toMatchObject({ name: "gpt3dev-v2", headDim: 8, tiedEmbeddings: true, window: [null, 3] });
    await v2.close();
    const post = await openCheckpoint(copyCheckpoint("ckpt-gpt3dev-v1-postln", tmp));
    expect(post.architecture.normPlacement).toBe("post");
    await post.close();
  });

  test("llama-family fields: GQA, head_dim, windows, rope scaling, tied heads, q/k norms and biases", async () => {
    const expectations: [string, object][] = [
      ["ckpt-llama", { name: "llama", heads: 4, kvHeads: 2, headDim: 8, tiedEmbeddings: false, bias: { qkv: false, attnOut: false, mlp: false }, norm: { kind: "rmsnorm", eps: 1e-5 } }],
      ["ckpt-qwen2", { name: "qwen2", tiedEmbeddings: true, bias: { qkv: true, attnOut: false, mlp: false }, positions: { kind: "rope", theta: 1e6, rotaryDim: 8, interleaved: false, scaling: null } }],
      ["ckpt-qwen3", { name: "qwen3", kvHeads: 1, headDim: 16, qkNorm: true }],
      ["ckpt-mistral", { name: "mistral", window: [3, 3], positions: { kind: "rope", theta: 10000, rotaryDim: 8, interleaved: false, scaling: { type: "linear", factor: 2 } } }],
      ["ckpt-llama3-rope", { positions: { kind: "rope", theta: 500000, rotaryDim: 16, interleaved: false, scaling: { type: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 16 } } }],
    ];
    for (const [name, expected] of expectations) {
      const c = await openCheckpoint(copyCheckpoint(name, tmp, `${name}-fields`));
      expect(c.architecture).toMatchObject(expected);
      await c.close();
    }
  });

  test("qwen2 sliding windows apply from max_window_layers on; layer_types, when given, decide", async () => {
    const sliding = await openCheckpoint(withConfig("ckpt-qwen2", (c) => Object.assign(c, { use_sliding_window: true, sliding_window: 8, max_window_layers: 1 })));
    expect(sliding.architecture.window).toEqual([null, 7]);
    await sliding.close();
    const typed = await openCheckpoint(withConfig("ckpt-qwen3", (c) => Object.assign(c, { sliding_window: 5, layer_types: ["sliding_attention", "full_attention"] })));
    expect(typed.architecture.window).toEqual([4, null]);
    await typed.close();
  });
});

describe("configs that cannot be built fail saying why", () => {
  const fails = (dir: string, code: "unsupported_architecture" | "unsupported_config" | "checkpoint_invalid" | "checkpoint_missing", message: RegExp, file?: string | null) =>
    expectConvertError(() => open(dir), { code, message, ...(file !== undefined ? { file } : {}) });

  test("an architecture the converter does not build names it and lists the supported ones", async () => {
    await fails(
      withConfig("ckpt-gpt2", (c) => Object.assign(c, { model_type: "bert", architectures: ["BertForMaskedLM"] })),
      "unsupported_architecture",
      /config\.json: model_type "bert", architectures \["BertForMaskedLM"\] is not an architecture the converter builds \(supported: gpt2; gpt3dev \(v1, v2\); llama, mistral, qwen2, qwen3\)/,
      "config.json",
    );
    await fails(withConfig("ckpt-gpt2", (c) => { delete c.model_type; c.architectures = ["GPT4DevLMHeadModel"]; }), "unsupported_architecture", /no model_type, architectures \["GPT4DevLMHeadModel"\]/);
  });

  test("a gpt3dev config that is neither v1 nor v2 says what it lacks", async () => {
    await fails(withConfig("ckpt-gpt3dev-v1", (c) => delete c.d_head), "unsupported_config", /gpt3dev config has neither d_head \(v1.*\) nor window_size \(v2.*\)/, "config.json");
    await fails(withConfig("ckpt-gpt3dev-v1", (c) => (c.window_size = 256)), "unsupported_config", /has window_size \(v2\) but d_head = 16 differs from n_embd \/ n_head = 8/);
  });

  test("rope scalings other than linear and llama3 are refused by name", async () => {
    for (const type of ["yarn", "dynamic", "longrope"]) {
      await fails(withConfig("ckpt-llama", (c) => (c.rope_scaling = { rope_type: type, factor: 4 })), "unsupported_config", new RegExp(`rope_scaling type "${type}" is not supported \\(supported: linear, llama3\\)`));
    }
    await fails(withConfig("ckpt-llama3-rope", (c) => delete (c.rope_scaling as Record<string, unknown>).low_freq_factor), "unsupported_config", /rope_scaling\.low_freq_factor = undefined/);
  });

  test("absurd sizes are refused before anything is allocated", async () => {
    const cases: [string, (c: Record<string, unknown>) => void, RegExp][] = [
      ["ckpt-gpt2", (c) => (c.n_layer = 100000), /n_layer = 100000 is outside \[1, 512\]/],
      ["ckpt-gpt2", (c) => (c.n_embd = 1 << 20), /n_embd = 1048576 is outside \[1, 65536\]/],
      ["ckpt-llama", (c) => (c.vocab_size = 2 ** 23), /vocab_size = 8388608 is outside/],
      ["ckpt-llama", (c) => Object.assign(c, { vocab_size: 2 ** 22, hidden_size: 2 ** 16, head_dim: 256, num_attention_heads: 256, num_key_value_heads: 256 }), /token_embedding would have 274877906944 elements/],
      ["ckpt-gpt2", (c) => (c.n_head = 5), /n_embd = 32 is not divisible by n_head = 5/],
      ["ckpt-llama", (c) => (c.num_key_value_heads = 3), /num_attention_heads = 4 is not a multiple of num_key_value_heads = 3/],
      ["ckpt-llama", (c) => (c.num_hidden_layers = 2.5), /num_hidden_layers is 2\.5, not an integer/],
      ["ckpt-llama", (c) => (c.hidden_act = "gelu"), /hidden_act "gelu" is not supported/],
      ["ckpt-gpt2", (c) => (c.activation_function = "swish"), /activation_function "swish" is not supported/],
      ["ckpt-llama", (c) => (c.rms_norm_eps = -1), /rms_norm_eps = -1 is not a positive number/],
    ];
    for (const [name, edit, message] of cases) await fails(withConfig(name, edit), "unsupported_config", message, "config.json");
  });

  test("tensors whose shapes do not match the config name the tensor and both shapes", async () => {
    await fails(
      withConfig("ckpt-llama", (c) => (c.intermediate_size = 48)),
      "checkpoint_invalid",
      /model-0000\d-of-00003\.safetensors: tensor model\.layers\.0\.mlp\.gate_proj\.weight has shape \[64, 32\], the config needs \[48, 32\]/,
    );
    await fails(withConfig("ckpt-gpt2", (c) => (c.n_positions = 64)), "checkpoint_invalid", /model\.safetensors: tensor transformer\.wpe\.weight has shape \[128, 32\], the config needs \[64, 32\]/, "model.safetensors");
    await fails(withConfig("ckpt-gpt2", (c) => (c.n_layer = 3)), "checkpoint_invalid", /has no tensor transformer\.h\.2\.ln_1\.weight, which a gpt2 checkpoint needs/);
    await fails(withConfig("ckpt-qwen2", (c) => (c.tie_word_embeddings = false)), "checkpoint_invalid", /has no tensor lm_head\.weight/);
  });

  test("a missing or malformed config.json, and a folder without weights", async () => {
    const noConfig = copyCheckpoint("ckpt-gpt2", tmp, "no-config");
    fs.rmSync(path.join(noConfig, "config.json"));
    await fails(noConfig, "checkpoint_missing", /the folder has no config\.json/, "config.json");
    const badConfig = copyCheckpoint("ckpt-gpt2", tmp, "bad-config");
    fs.writeFileSync(path.join(badConfig, "config.json"), "{ nope");
    await fails(badConfig, "checkpoint_invalid", /config\.json: is not valid JSON/, "config.json");
    const noWeights = copyCheckpoint("ckpt-gpt2", tmp, "no-weights");
    fs.rmSync(path.join(noWeights, "model.safetensors"));
    await fails(noWeights, "checkpoint_missing", /holds no weights the converter reads/);
  });

  test("a dtype the builder has no graph for is refused before anything is read", async () => {
    await expectConvertError(() => buildDecoder(path.join(tmp, "nowhere"), path.join(tmp, "out"), { dtype: "fp16" as never }), { code: "unsupported_dtype", message: /dtype "fp16" cannot be built \(supported: fp32, q8, q4\)/ });
  });
});
