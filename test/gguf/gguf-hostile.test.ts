/**
 * Malformed and hostile GGUF files are refused with a ConvertError that names the file and the problem, before
 * anything their headers claim is allocated (the process grows by no more than a few MB over all of them), and
 * valid files of an architecture, tensor type or configuration we do not build are refused by name.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConvertError, type ConvertErrorCode } from "../../src/convert/convert-error.ts";
import { openGgufCheckpoint } from "../../src/convert/gguf/gguf-checkpoint.ts";
import { GgufTensorSource } from "../../src/convert/gguf/gguf-tensor-source.ts";
import { fitLlama3RopeScaling, llama3RopeFactors } from "../../src/convert/gguf/llama3-rope-factors.ts";
import { fixture } from "./helpers/fixtures.ts";
import { GgufBytes, tinyLlama } from "./helpers/gguf-write.ts";
import { parseGgufForTest } from "./helpers/gguf-parse.ts";

const dir = mkdtempSync(join(tmpdir(), "gguf-hostile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const write = (bytes: Uint8Array, name = `bad-${n++}.gguf`) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

async function refusal(path: string | Uint8Array, open: "source" | "checkpoint" = "source"): Promise<ConvertError> {
  const p = typeof path === "string" ? path : write(path);
  try {
    if (open === "source") await (GgufTensorSource.open(p)).close();
    else await (await openGgufCheckpoint(p)).close();
  } catch (e) {
    if (!(e instanceof ConvertError)) throw e;
    return e;
  }
  throw new Error(`${p} was accepted`);
}

async function expectRefused(bytes: Uint8Array, code: ConvertErrorCode, fragment: string, open: "source" | "checkpoint" = "source") {
  const e = await refusal(bytes, open);
  expect({ code: e.code, message: e.message }).toMatchObject({ code, message: expect.stringContaining(fragment) });
  expect(e.message).toStartWith("bad-");
  expect(e.file).toStartWith("bad-");
}

// trailing zeros so the up-front "could this many entries fit" check passes and the entry itself is judged
const kvOnly = (build: (w: GgufBytes) => GgufBytes, kvs = 1) => build(new GgufBytes().header(0, kvs)).raw(new Uint8Array(64)).bytes();
const oneTensor = (info: (w: GgufBytes) => GgufBytes, data = 64, extra?: (w: GgufBytes) => GgufBytes) => {
  const w = new GgufBytes().header(1, extra ? 1 : 0);
  if (extra) extra(w);
  return info(w).pad().raw(new Uint8Array(data)).bytes();
};

const rssBefore = process.memoryUsage().rss;

describe("hostile headers", () => {
  test("not a GGUF file, bad versions", async () => {
    await expectRefused(new TextEncoder().encode("PK\u0003\u0004 this is a zip file, not a model......"), "checkpoint_invalid", "not a GGUF file");
    await expectRefused(new GgufBytes().header(0, 0, 1).bytes(), "checkpoint_invalid", "version 1 is no longer supported");
    await expectRefused(new GgufBytes().header(0, 0, 4).bytes(), "checkpoint_invalid", "unsupported GGUF version 4");
    await expectRefused(new GgufBytes().header(0, 0, 0x03000000).bytes(), "checkpoint_invalid", "big-endian");
    await expectRefused(new TextEncoder().encode("GGUF"), "checkpoint_invalid", "too short");
  });

  test("counts no file could hold", async () => {
    await expectRefused(new GgufBytes().header(1n << 40n, 0).bytes(), "checkpoint_invalid", "tensor count 1099511627776 cannot fit");
    await expectRefused(new GgufBytes().header(0, 1n << 50n).bytes(), "checkpoint_invalid", "metadata count 1125899906842624 cannot fit");
    await expectRefused(new GgufBytes().header(1n << 63n, 0).bytes(), "checkpoint_invalid", "beyond what any file can hold");
  });

  test("string lengths past the file or the limits", async () => {
    await expectRefused(kvOnly((w) => w.str("general.name", 1n << 40n)), "checkpoint_invalid", "more than the 65536 allowed");
    await expectRefused(kvOnly((w) => w.str("key", 60000).u32(4).u32(1)), "checkpoint_invalid", "truncated");
    await expectRefused(kvOnly((w) => w.str("general.name").u32(8).str("x", 1n << 31n)), "checkpoint_invalid", "more than the 67108864 allowed");
    await expectRefused(kvOnly((w) => w.str("general.name").u32(8).str("x", 50_000_000)), "checkpoint_invalid", "claims 50000000 bytes");
    await expectRefused(kvOnly((w) => w.str("")), "checkpoint_invalid", "key 0 is empty");
  });

  test("arrays past the file or the limits, nested arrays, unknown types", async () => {
    await expectRefused(kvOnly((w) => w.str("tokenizer.ggml.scores").u32(9).u32(6).u64(1n << 40n)), "checkpoint_invalid", "more than the 67108864 allowed");
    await expectRefused(kvOnly((w) => w.str("tokenizer.ggml.scores").u32(9).u32(6).u64(60_000_000)), "checkpoint_invalid", "claims 60000000 items");
    await expectRefused(kvOnly((w) => w.str("tokenizer.ggml.tokens").u32(9).u32(8).u64(30_000_000)), "checkpoint_invalid", "claims 30000000 items");
    await expectRefused(kvOnly((w) => w.str("x").u32(9).u32(9).u64(1)), "checkpoint_invalid", "array of arrays");
    await expectRefused(kvOnly((w) => w.str("x").u32(99)), "checkpoint_invalid", "unknown value type 99");
    await expectRefused(kvOnly((w) => w.str("x").u32(9).u32(42).u64(1)), "checkpoint_invalid", "unknown value type 42");
    await expectRefused(kvOnly((w) => w.str("x").u32(7).raw([2])), "checkpoint_invalid", "bool of value 2");
    await expectRefused(kvOnly((w) => w.kvU32("a", 1).kvU32("a", 2), 2), "checkpoint_invalid", "duplicate metadata key a");
  });

  test("bad alignment", async () => {
    await expectRefused(kvOnly((w) => w.kvU32("general.alignment", 3)), "checkpoint_invalid", "general.alignment 3 is not a power of two");
    await expectRefused(kvOnly((w) => w.kvU32("general.alignment", 0)), "checkpoint_invalid", "is not a power of two");
    await expectRefused(kvOnly((w) => w.kvString("general.alignment", "32")), "checkpoint_invalid", "general.alignment must be a u32");
  });

  test("tensor infos: dims, types, names", async () => {
    await expectRefused(oneTensor((w) => w.tensorInfo("t", [1, 1, 1, 1, 1], 0, 0)), "checkpoint_invalid", "has 5 dimensions");
    await expectRefused(oneTensor((w) => w.tensorInfo("t", [1n << 32n, 1n << 32n], 0, 0)), "checkpoint_invalid", "overflows");
    await expectRefused(oneTensor((w) => w.tensorInfo("t", [1n << 26n, 1n << 26n], 0, 0)), "checkpoint_invalid", "size overflows");
    await expectRefused(oneTensor((w) => w.tensorInfo("t", [1n << 20n, 1n << 20n], 0, 0)), "checkpoint_invalid", "lies past the end");
    await expectRefused(oneTensor((w) => w.tensorInfo("t", [4], 99, 0)), "checkpoint_invalid", "unknown ggml type 99");
    await expectRefused(oneTensor((w) => w.tensorInfo("t", [20, 2], 2, 0)), "checkpoint_invalid", "not a whole number of Q4_0 blocks");
    await expectRefused(oneTensor((w) => w.tensorInfo("x".repeat(100), [4], 0, 0)), "checkpoint_invalid", "more than the 63 allowed");
    const twice = new GgufBytes().header(2, 0).tensorInfo("t", [4], 0, 0).tensorInfo("t", [4], 0, 32).pad().raw(new Uint8Array(64)).bytes();
    await expectRefused(twice, "checkpoint_invalid", "duplicate tensor name t");
  });

  test("tensor offsets: past the end, misaligned, overlapping", async () => {
    await expectRefused(oneTensor((w) => w.tensorInfo("t", [16], 0, 1n << 40n)), "checkpoint_invalid", "past the end");
    await expectRefused(oneTensor((w) => w.tensorInfo("t", [16], 0, 64), 64), "checkpoint_invalid", "tensor t (64 bytes at data offset 64) lies past the end");
    await expectRefused(oneTensor((w) => w.tensorInfo("t", [4], 0, 4)), "checkpoint_invalid", "offset 4 is not a multiple of the alignment 32");
    await expectRefused(
      oneTensor((w) => w.tensorInfo("t", [4], 0, 8), 64, (w) => w.kvU32("general.alignment", 16)),
      "checkpoint_invalid",
      "offset 8 is not a multiple of the alignment 16",
    );
    const overlap = new GgufBytes().header(2, 0).tensorInfo("a", [16], 0, 0).tensorInfo("b", [16], 0, 32).pad().raw(new Uint8Array(128)).bytes();
    await expectRefused(overlap, "checkpoint_invalid", "tensors a and b overlap");
  });

  test("a real file cut short anywhere is refused", async () => {
    const whole = readFileSync(fixture("tiny-llama-256-Q4_K_M.gguf"));
    for (const size of [0, 3, 16, 24, 100, 1000, 10_000, 30_000, 200_000, whole.length - 1]) {
      const e = await refusal(write(whole.subarray(0, size), `bad-cut-${size}.gguf`));
      expect(e.code).toBe("checkpoint_invalid");
      expect(e.message).toMatch(/truncated|too short|past the end|cannot fit/);
      expect(e.file).toBe(`bad-cut-${size}.gguf`);
    }
  });

  test("all of the above allocated nothing big", () => {
    Bun.gc(true);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 << 20);
  });
});

/** A fixture with one tensor's ggml type id rewritten in place (to a type with smaller blocks, so it still fits). */
function retyped(file: string, tensor: string, type: number): Uint8Array {
  const bytes = new Uint8Array(readFileSync(fixture(file)));
  const ref = parseGgufForTest(fixture(file));
  const name = new TextEncoder().encode(tensor);
  // the info is: u64 length, name, u32 n_dims, dims, u32 type, u64 offset
  for (let at = 0; at < bytes.length - name.length; at++) {
    if (bytes.subarray(at, at + name.length).every((b, i) => b === name[i]) && bytes[at - 8] === name.length) {
      const t = ref.tensors.find((x) => x.name === tensor)!;
      const typeAt = at + name.length + 4 + 8 * t.dims.length;
      new DataView(bytes.buffer).setUint32(typeAt, type, true);
      return bytes;
    }
  }
  throw new Error(`${tensor} not found`);
}

describe("valid files we do not build", () => {
  test("an undecoded tensor type is named with its tensor when the weight is loaded", async () => {
    for (const [type, name] of [
      [10, "Q2_K"],
      [23, "IQ4_XS"],
      [16, "IQ2_XXS"],
    ] as const) {
      const path = write(retyped("tiny-llama-256-Q4_K_M.gguf", "blk.0.attn_q.weight", type), `bad-${name}.gguf`);
      const ckpt = await openGgufCheckpoint(path);
      try {
        const e = await ckpt.weights.get("layers.0.attn.q.weight")!.load().catch((x) => x);
        expect(e).toBeInstanceOf(ConvertError);
        expect(e.code).toBe("unsupported_tensor_type");
        expect(e.message).toContain(`tensor blk.0.attn_q.weight is stored as ${name}`);
        expect(e.message).toContain("Q4_K");
        expect(await ckpt.weights.get("layers.0.attn.k.weight")!.load()).toBeInstanceOf(Float32Array);
        expect(ckpt.summary.tensorTypes[name]).toBe(1);
      } finally {
        await ckpt.close();
      }
    }
  });

  test("another architecture", async () => {
    await expectRefused(tinyLlama({ kv: { "general.architecture": ["string", "mamba"] } }), "unsupported_architecture", "architecture mamba is not supported (supported: gpt2, llama, qwen2, qwen3)", "checkpoint");
    await expectRefused(tinyLlama({ kv: { "general.architecture": null } }), "checkpoint_invalid", "general.architecture is missing", "checkpoint");
  });

  test("configurations llama.cpp would run differently from what we build", async () => {
    const refused = (kv: Parameters<typeof tinyLlama>[0], code: ConvertErrorCode, fragment: string) => expectRefused(tinyLlama(kv), code, fragment, "checkpoint");
    await refused({ kv: { "llama.expert_count": ["u32", 8] } }, "unsupported_config", "mixture-of-experts");
    await refused({ kv: { "llama.rope.scaling.type": ["string", "yarn"], "llama.rope.scaling.factor": ["f32", 4] } }, "unsupported_config", "rope scaling yarn is not supported");
    await refused({ kv: { "llama.rope.dimension_count": ["u32", 8] } }, "checkpoint_invalid", "must equal the head size 16");
    await refused({ kv: { "llama.attention.head_count": ["i32s", [2, 2]] } }, "checkpoint_invalid", "llama.attention.head_count is an array of i32, expected 1 values (one per layer)");
    await refused({ kv: { "llama.attention.head_count_kv": ["u32", 3] } }, "checkpoint_invalid", "2 attention heads cannot share 3 key/value heads");
    await refused({ kv: { "llama.block_count": null } }, "checkpoint_invalid", "llama.block_count is missing");
    await refused({ kv: { "llama.block_count": ["string", "one"] } }, "checkpoint_invalid", "llama.block_count is of type string, expected a number");
    await refused({ tensors: { "blk.0.attn_v.weight": null } }, "checkpoint_invalid", "tensor blk.0.attn_v.weight is missing");
    await refused(
      { tensors: { "blk.0.attn_k.weight": { name: "blk.0.attn_k.weight", dims: [32, 32], data: new Float32Array(32 * 32) } } },
      "checkpoint_invalid",
      "tensor blk.0.attn_k.weight has shape [32, 32], expected [16, 32]",
    );
    await refused({ tensors: { "blk.0.ffn_gate_inp.weight": { name: "blk.0.ffn_gate_inp.weight", dims: [32, 4], data: new Float32Array(128) } } }, "unsupported_config", "tensors this llama model does not use: blk.0.ffn_gate_inp.weight");
    await refused({ tensors: { "blk.0.attn_q.bias": { name: "blk.0.attn_q.bias", dims: [32], data: new Float32Array(32) } } }, "unsupported_config", "blk.0.attn_q.bias");
  });

  test("the tiny llama itself is fine, and its optional keys are read", async () => {
    const ckpt = await openGgufCheckpoint(write(tinyLlama(), "tiny.gguf"));
    expect(ckpt.architecture).toMatchObject({ name: "llama", layers: 1, heads: 2, kvHeads: 1, headDim: 16, tiedEmbeddings: true, vocabSize: 8, window: [null] });
    await ckpt.close();
    const variant = async (kv: NonNullable<Parameters<typeof tinyLlama>[0]>["kv"]) => {
      const c = await openGgufCheckpoint(write(tinyLlama({ kv })));
      await c.close();
      return c.architecture;
    };
    expect((await variant({ "llama.attention.sliding_window": ["u32", 4096] })).window).toEqual([4095]);
    expect((await variant({ "llama.rope.scaling.type": ["string", "linear"], "llama.rope.scaling.factor": ["f32", 2] })).positions).toMatchObject({ scaling: { type: "linear", factor: 2 } });
    expect((await variant({ "llama.rope.scaling.type": ["string", "none"] })).positions).toMatchObject({ scaling: null });
    expect((await variant({ "llama.attention.head_count_kv": ["i32s", [1]] })).kvHeads).toBe(1); // per-layer array form
  });

  test("a fused attn_qkv splits into q, k, v, with llama's q/k rows unpermuted", async () => {
    const rows = (n: number, base: number) => Float32Array.from({ length: n * 32 }, (_, i) => base + Math.floor(i / 32));
    const [q, k, v] = [rows(32, 0), rows(16, 100), rows(16, 200)];
    const apart = await openGgufCheckpoint(write(tinyLlama({ tensors: {
      "blk.0.attn_q.weight": { name: "blk.0.attn_q.weight", dims: [32, 32], data: q },
      "blk.0.attn_k.weight": { name: "blk.0.attn_k.weight", dims: [32, 16], data: k },
      "blk.0.attn_v.weight": { name: "blk.0.attn_v.weight", dims: [32, 16], data: v },
    } })));
    const fusedData = new Float32Array(64 * 32);
    fusedData.set(q, 0);
    fusedData.set(k, 32 * 32);
    fusedData.set(v, 48 * 32);
    const fused = await openGgufCheckpoint(write(tinyLlama({ tensors: {
      "blk.0.attn_q.weight": null, "blk.0.attn_k.weight": null, "blk.0.attn_v.weight": null,
      "blk.0.attn_qkv.weight": { name: "blk.0.attn_qkv.weight", dims: [32, 64], data: fusedData },
    } })));
    for (const key of ["layers.0.attn.q.weight", "layers.0.attn.k.weight", "layers.0.attn.v.weight"]) {
      expect(await fused.weights.get(key)!.load()).toEqual(await apart.weights.get(key)!.load());
    }
    // row r of the logical q (head h, half t, index j) is stored row h·16 + 2j + t
    const firstColumn = (a: Float32Array) => Array.from({ length: a.length / 32 }, (_, r) => a[r * 32]!);
    expect(firstColumn(await apart.weights.get("layers.0.attn.q.weight")!.load()).slice(0, 16)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15]);
    expect(firstColumn(await apart.weights.get("layers.0.attn.v.weight")!.load())).toEqual(Array.from({ length: 16 }, (_, i) => 200 + i));
    await fused.close();
    await apart.close();
  });
});

describe("Llama 3 rope scaling stored as rope_freqs", () => {
  test("the parameters are recovered from the stored factors (as float32, like the file)", () => {
    for (const [p, dim] of [
      [{ factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 }, 128], // Llama 3.1 8B
      [{ factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 }, 64], // Llama 3.2 1B
      [{ factor: 16, lowFreqFactor: 1, highFreqFactor: 2, originalMaxPositions: 4096 }, 128],
    ] as const) {
      const factors = Float32Array.from(llama3RopeFactors(p, 500000, dim));
      expect(fitLlama3RopeScaling(factors, 500000, dim, "x.gguf")).toEqual({ type: "llama3", ...p });
    }
    expect(fitLlama3RopeScaling(new Float32Array(64).fill(1), 500000, 128, "x.gguf")).toBeNull();
  });

  test("a file's rope_freqs tensor becomes the architecture's scaling", async () => {
    const p = { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 };
    const factors = Float32Array.from(llama3RopeFactors(p, 500000, 16));
    const bytes = tinyLlama({
      kv: { "llama.rope.freq_base": ["f32", 500000] },
      tensors: { "rope_freqs.weight": { name: "rope_freqs.weight", dims: [8], data: factors } },
    });
    const ckpt = await openGgufCheckpoint(write(bytes));
    const pos = ckpt.architecture.positions;
    expect(pos.kind === "rope" && pos.scaling).toEqual({ type: "llama3", ...p });
    expect(ckpt.weights.has("rope_freqs.weight")).toBe(false);
    await ckpt.close();
  });

  test("factors no Llama 3 scaling makes are refused", async () => {
    const bytes = tinyLlama({ tensors: { "rope_freqs.weight": { name: "rope_freqs.weight", dims: [8], data: Float32Array.from([1, 3, 1, 3, 1, 3, 1, 3]) } } });
    await expectRefused(bytes, "unsupported_config", "rope_freqs.weight holds factors that no Llama 3 rope scaling reproduces", "checkpoint");
  });
});
