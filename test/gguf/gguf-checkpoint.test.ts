/**
 * GGUF fixtures read as DecoderCheckpoints: the architecture from the metadata, and every logical weight equal to
 * the Hugging Face tensor it was converted from (regenerated here from the fixture's seed and mapped by this test's
 * own reading of the HF layouts). For the llama fixtures this is the check that the q/k row permutation
 * convert_hf_to_gguf.py applies is undone: the HF weights here were never permuted.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConvertError } from "../../src/convert/convert-error.ts";
import { W, type DecoderArchitecture } from "../../src/convert/decoder-architecture.ts";
import { openGgufCheckpoint, type GgufCheckpoint } from "../../src/convert/gguf/gguf-checkpoint.ts";
import { fixture, models } from "./helpers/fixtures.ts";
import { refDequantize } from "./helpers/ggml-reference.ts";
import { seeded, type FixtureModel } from "./helpers/seeded.ts";

/** [rows, cols] row-major → its transpose. */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

/** The logical weights of a fixture, straight from its HF tensors. */
function hfLogical(m: FixtureModel): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  const E = m.config.hidden as number;
  for (const [name, shape, scale, offset] of m.hf_tensors) {
    let data = seeded(name, shape, scale, offset);
    let s = shape;
    const put = (key: string, d: Float32Array, sh: number[]) => out.set(key, { shape: sh, data: d });
    if (m.arch === "gpt2") {
      const layer = /^transformer\.h\.(\d+)\.(.+)$/.exec(name);
      if (!layer) {
        if (name === "transformer.wte.weight") put(W.tokenEmbedding, data, s);
        else if (name === "transformer.wpe.weight") put(W.positionEmbedding, data, s);
        else put(W.finalNorm(name.endsWith("weight") ? "weight" : "bias"), data, s);
        continue;
      }
      const i = Number(layer[1]);
      const rest = layer[2]!;
      const p = rest.endsWith("weight") ? "weight" : "bias";
      if (p === "weight" && s.length === 2) {
        // Conv1D stores [in, out]
        data = transpose(data, s[0]!, s[1]!);
        s = [s[1]!, s[0]!];
      }
      if (rest.startsWith("ln_1")) put(W.attnNorm(i, p), data, s);
      else if (rest.startsWith("ln_2")) put(W.mlpNorm(i, p), data, s);
      else if (rest.startsWith("attn.c_attn")) {
        const cols = s.length === 2 ? s[1]! : 1;
        [W.q(i, p), W.k(i, p), W.v(i, p)].forEach((key, part) => put(key, data.slice(part * E * cols, (part + 1) * E * cols), s.length === 2 ? [E, cols] : [E]));
      } else if (rest.startsWith("attn.c_proj")) put(W.o(i, p), data, s);
      else if (rest.startsWith("mlp.c_fc")) put(W.up(i, p), data, s);
      else if (rest.startsWith("mlp.c_proj")) put(W.down(i, p), data, s);
      continue;
    }
    const layer = /^model\.layers\.(\d+)\.(.+)$/.exec(name);
    if (!layer) {
      if (name === "model.embed_tokens.weight") put(W.tokenEmbedding, data, s);
      else if (name === "model.norm.weight") put(W.finalNorm("weight"), data, s);
      else if (name === "lm_head.weight") put(W.lmHead, data, s);
      continue;
    }
    const i = Number(layer[1]);
    const [module, p] = [layer[2]!.replace(/\.(weight|bias)$/, ""), layer[2]!.endsWith("bias") ? "bias" : "weight"] as const;
    const key = {
      input_layernorm: W.attnNorm(i, "weight"),
      post_attention_layernorm: W.mlpNorm(i, "weight"),
      "self_attn.q_proj": W.q(i, p),
      "self_attn.k_proj": W.k(i, p),
      "self_attn.v_proj": W.v(i, p),
      "self_attn.o_proj": W.o(i, p),
      "self_attn.q_norm": W.qNorm(i),
      "self_attn.k_norm": W.kNorm(i),
      "mlp.gate_proj": W.gate(i),
      "mlp.up_proj": W.up(i, p),
      "mlp.down_proj": W.down(i, p),
    }[module];
    if (!key) throw new Error(`unmapped ${name}`);
    put(key, data, s);
  }
  return out;
}

/** ggml_fp32_to_bf16: round to nearest even on the top 16 bits. */
function toBf16(a: Float32Array): Float32Array {
  const u = new Uint32Array(a.slice().buffer);
  for (let i = 0; i < u.length; i++) u[i] = ((u[i]! + 0x7fff + ((u[i]! >>> 16) & 1)) >>> 16) << 16;
  return new Float32Array(u.buffer);
}

function expectedArchitecture(m: FixtureModel): Partial<DecoderArchitecture> {
  const c = m.config as Record<string, number>;
  const headDim = c.head_dim ?? c.hidden! / c.heads!;
  const base = { vocabSize: c.vocab!, hiddenSize: c.hidden!, layers: c.layers!, heads: c.heads!, headDim, maxPositions: c.ctx!, attentionScale: 1 / Math.sqrt(headDim), normPlacement: "pre" as const };
  if (m.arch === "gpt2") {
    return { ...base, name: "gpt2", kvHeads: c.heads!, intermediateSize: 4 * c.hidden!, positions: { kind: "learned" }, norm: { kind: "layernorm", eps: Math.fround(c.eps!) }, mlp: "gelu_tanh", bias: { qkv: true, attnOut: true, mlp: true }, qkNorm: false, tiedEmbeddings: true };
  }
  return {
    ...base,
    name: m.arch,
    kvHeads: c.kv_heads!,
    intermediateSize: c.intermediate!,
    positions: { kind: "rope", theta: c.theta!, rotaryDim: headDim, interleaved: false, scaling: null },
    norm: { kind: "rmsnorm", eps: Math.fround(c.eps!) },
    mlp: "swiglu",
    bias: { qkv: m.arch === "qwen2", attnOut: false, mlp: false },
    qkNorm: m.arch === "qwen3",
    tiedEmbeddings: Boolean(m.config.tied),
    window: new Array(c.layers!).fill(null),
  };
}

const CASES: [file: string, model: string][] = [
  ["gpt2-f32.gguf", "gpt2-f32"],
  ["llama-f32.gguf", "llama-f32"],
  ["qwen2-f32.gguf", "qwen2-f32"],
  ["qwen2-BF16.gguf", "qwen2-f32"],
  ["qwen3-f32-00002-of-00003.gguf", "qwen3-f32"],
  ["tiny-llama-256-F16.gguf", "tiny-llama-256"],
];

describe("GGUF → DecoderCheckpoint equals the Hugging Face checkpoint it was converted from", () => {
  for (const [file, name] of CASES) {
    test(file, async () => {
      const m = models()[name]!;
      const ckpt = await openGgufCheckpoint(fixture(file));
      try {
        expect(ckpt.format).toBe("gguf");
        expect(ckpt.architecture).toMatchObject(expectedArchitecture(m));
        const want = hfLogical(m);
        expect([...ckpt.weights.keys()].sort()).toEqual([...want.keys()].sort());
        for (const [key, w] of ckpt.weights) {
          const hf = want.get(key)!;
          expect(w.shape).toEqual(hf.shape);
          const got = await w.load();
          const stored = ckpt.source.tensors.get(w.origin.split(": ")[1]!)!.dtype;
          expect(got).toEqual(stored === "BF16" ? toBf16(hf.data) : hf.data);
        }
      } finally {
        await ckpt.close();
      }
    });
  }

  test("the metadata summary says what the file is", async () => {
    const ckpt = await openGgufCheckpoint(fixture("tiny-llama-256-Q4_K_M.gguf"));
    try {
      expect(ckpt.summary).toMatchObject({
        files: ["tiny-llama-256-Q4_K_M.gguf"],
        architecture: "llama",
        name: "tiny-llama-256",
        fileType: "Q4_K_M",
        precision: "q4",
        tensorTypes: { F32: 3, Q4_K: 5, Q6_K: 3 },
      });
      expect(ckpt.summary.float32Bytes).toBe(ckpt.summary.parameters * 4);
      expect(ckpt.summary.storedBytes).toBeLessThan(ckpt.summary.float32Bytes / 5);
    } finally {
      await ckpt.close();
    }
    const f16 = await openGgufCheckpoint(fixture("tiny-llama-256-F16.gguf"));
    expect(f16.summary).toMatchObject({ fileType: "F16", precision: "f16" });
    await f16.close();
  });
});

describe("quantized llama files: q/k unpermuted, raw blocks exposed in logical row order", () => {
  for (const q of ["Q8_0", "Q4_0", "Q4_K_M", "Q6_K"]) {
    test(q, async () => {
      const hf = hfLogical(models()["tiny-llama-256"]!);
      const ckpt: GgufCheckpoint = await openGgufCheckpoint(fixture(`tiny-llama-256-${q}.gguf`));
      try {
        for (const [key, w] of ckpt.weights) {
          const got = await w.load();
          const want = hf.get(key)!.data;
          let err = 0;
          let norm = 0;
          for (let i = 0; i < want.length; i++) {
            err += (got[i]! - want[i]!) ** 2;
            norm += want[i]! ** 2;
          }
          // a permuted q would be ~1.4 (uncorrelated rows); quantization alone stays below 0.08
          expect(Math.sqrt(err / norm)).toBeLessThan(0.08);
          if (w.shape.length === 2) {
            expect(w.quantized).toBeDefined();
            const typeId = { Q8_0: 8, Q4_0: 2, Q4_K: 12, Q6_K: 14 }[w.quantized!.type]!;
            expect(refDequantize(typeId, await w.quantized!.load(), got.length)).toEqual(got);
          } else {
            expect(w.quantized).toBeUndefined();
          }
        }
      } finally {
        await ckpt.close();
      }
    });
  }
});

describe("split models", () => {
  const dir = mkdtempSync(join(tmpdir(), "gguf-split-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const shards = [1, 2, 3].map((i) => `qwen3-f32-0000${i}-of-00003.gguf`);

  test("any shard opens the whole model; an explicit list works too", async () => {
    for (const open of [fixture(shards[0]!), fixture(shards[2]!), shards.map(fixture)]) {
      const ckpt = await openGgufCheckpoint(open);
      expect(ckpt.summary.files).toEqual(shards);
      expect(ckpt.weights.size).toBe(24);
      await ckpt.close();
    }
  });

  test("a missing shard is named", async () => {
    copyFileSync(fixture(shards[0]!), join(dir, shards[0]!));
    copyFileSync(fixture(shards[2]!), join(dir, shards[2]!));
    const error = await openGgufCheckpoint(join(dir, shards[0]!)).catch((e) => e);
    expect(error).toBeInstanceOf(ConvertError);
    expect(error.code).toBe("checkpoint_missing");
    expect(error.message).toContain(shards[1]);
  });

  test("shards out of order, or too few, are refused", async () => {
    const swapped = await openGgufCheckpoint([fixture(shards[1]!), fixture(shards[0]!), fixture(shards[2]!)]).catch((e) => e);
    expect(swapped).toBeInstanceOf(ConvertError);
    expect(swapped.code).toBe("checkpoint_invalid");
    expect(swapped.message).toContain("split");
    const short = await openGgufCheckpoint([fixture(shards[0]!), fixture(shards[1]!)]).catch((e) => e);
    expect(short.code).toBe("checkpoint_invalid");
    expect(short.message).toContain("split.count says 3");
  });
});
