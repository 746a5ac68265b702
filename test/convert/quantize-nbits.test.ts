/**
 * MatMulNBits weights: GGUF Q8_0 / Q4_0 blocks map onto them with exactly the weights ggml dequantizes to, the
 * float quantizer stays within half a step of every weight, and onnxruntime's MatMulNBits computes A · Wᵀ with the
 * weights our dequantizer says (so the packing, nibble order and default zero points are the operator's).
 */
import { describe, expect, test } from "bun:test";
import * as ort from "onnxruntime-node";
import { GraphBuilder } from "../../src/convert/onnx/graph-builder.ts";
import { encodeModel, type TensorProto } from "../../src/convert/onnx/onnx-proto.ts";
import { ConvertError } from "../../src/convert/convert-error.ts";
import { ggufBlocksToNBits } from "../../src/convert/quantize/gguf-blocks.ts";
import { blocksPerRow, dequantizeNBits, type NBitsWeight } from "../../src/convert/quantize/nbits-weight.ts";
import { quantizeNBits, transposeToRows } from "../../src/convert/quantize/quantize-nbits.ts";

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** An f16 with a sane exponent (scales of real weights: 2^-14 … 2^1), either sign. */
function randomHalf(r: () => number): number {
  const exponent = 1 + Math.floor(r() * 16);
  return (r() < 0.5 ? 0x8000 : 0) | (exponent << 10) | Math.floor(r() * 1024);
}

/** ggml's own reading of an f16, independent of the code under test. */
function half(h: number): number {
  const buf = new DataView(new ArrayBuffer(2));
  buf.setUint16(0, h, true);
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  const s = h & 0x8000 ? -1 : 1;
  return e === 0 ? s * f * 2 ** -24 : s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Stored GGUF blocks for an [n, k] tensor, and their dequantization as ggml-quants.c defines it (float32 math). */
function ggufTensor(type: "Q8_0" | "Q4_0", n: number, k: number, seed: number): { raw: Uint8Array; weights: Float32Array } {
  const r = rng(seed);
  const size = type === "Q8_0" ? 34 : 18;
  const blocks = (n * k) / 32;
  const raw = new Uint8Array(blocks * size);
  const weights = new Float32Array(n * k);
  const view = new DataView(raw.buffer);
  for (let b = 0; b < blocks; b++) {
    const h = randomHalf(r);
    view.setUint16(b * size, h, true);
    const d = Math.fround(half(h));
    for (let j = 2; j < size; j++) raw[b * size + j] = Math.floor(r() * 256);
    for (let i = 0; i < 32; i++) {
      let q: number;
      if (type === "Q8_0") q = (raw[b * size + 2 + i]! << 24) >> 24; // int8
      else q = (i < 16 ? raw[b * size + 2 + i]! & 0x0f : raw[b * size + 2 + i - 16]! >> 4) - 8;
      weights[b * 32 + i] = Math.fround(d * q);
    }
  }
  return { raw, weights };
}

function expectBitIdentical(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  let mismatches = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) mismatches++;
  expect(mismatches).toBe(0);
}

/** A one-node graph Y = MatMulNBits(A, W), run by onnxruntime. */
async function runMatMulNBits(w: NBitsWeight, a: Float32Array, m: number, accuracyLevel: number): Promise<Float32Array> {
  const b = new GraphBuilder("nbits");
  const x = b.input("a", "float32", [m, w.k]);
  const inputs = [x, "w.packed", "w.scales", ...(w.zeroPoints ? ["w.zp"] : [])];
  const y = b.op("MatMulNBits", inputs, { K: w.k, N: w.n, bits: w.bits, block_size: w.blockSize, accuracy_level: accuracyLevel });
  b.output(y, "y", "float32", [m, w.n]);
  const model = b.toModel();
  const kBlocks = blocksPerRow(w.k, w.blockSize);
  const raw = (name: string, dataType: number, dims: number[], data: ArrayBufferView): TensorProto => ({
    name,
    dataType: dataType as TensorProto["dataType"],
    dims,
    data: { kind: "raw", bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) },
  });
  const extra = [raw("w.packed", 2, [w.n, kBlocks, (w.blockSize * w.bits) / 8], w.packed), raw("w.scales", 1, [w.n * kBlocks], w.scales)];
  if (w.zeroPoints) extra.push(raw("w.zp", 2, [w.zeroPoints.length], w.zeroPoints));
  const patched = {
    ...model,
    opsetImports: [...model.opsetImports, { domain: "com.microsoft", version: 1 }],
    graph: {
      ...model.graph,
      nodes: model.graph.nodes.map((node) => (node.opType === "MatMulNBits" ? { ...node, domain: "com.microsoft" } : node)),
      initializers: [...model.graph.initializers, ...extra],
    },
  };
  const session = await ort.InferenceSession.create(Buffer.concat(encodeModel(patched)), { intraOpNumThreads: 1, logSeverityLevel: 3 });
  try {
    const out = await session.run({ a: new ort.Tensor("float32", a, [m, w.k]) });
    return out.y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** A · Wᵀ in float64, W [n, k]. */
function reference(a: Float32Array, wRows: Float32Array, m: number, n: number, k: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += a[i * k + t]! * wRows[j * k + t]!;
    out[i * n + j] = s;
  }
  return out;
}

function maxRelError(got: Float32Array, want: Float64Array): number {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]!));
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
  }
  return err / scale;
}

function randomWeights(count: number, seed: number, std = 0.02): Float32Array {
  const r = rng(seed);
  // sum of uniforms ≈ normal, with the occasional larger value an outlier-free uniform would lack
  return Float32Array.from({ length: count }, () => (r() + r() + r() + r() - 2) * std * Math.sqrt(3));
}

describe("GGUF blocks onto MatMulNBits", () => {
  for (const type of ["Q8_0", "Q4_0"] as const) {
    test(`${type}: the mapped weight dequantizes to exactly ggml's weights`, () => {
      const n = 24;
      const k = 96;
      const { raw, weights } = ggufTensor(type, n, k, type === "Q8_0" ? 11 : 12);
      const mapped = ggufBlocksToNBits(type, raw, n, k, "test.gguf: blk.0.ffn_up.weight");
      expect(mapped.bits).toBe(type === "Q8_0" ? 8 : 4);
      expect(mapped.zeroPoints).toBeNull();
      expectBitIdentical(dequantizeNBits(mapped), weights);
    });

    test(`${type}: onnxruntime's MatMulNBits computes with those weights`, async () => {
      const n = 40;
      const k = 128;
      const m = 3;
      const { raw, weights } = ggufTensor(type, n, k, 21);
      const a = randomWeights(m * k, 5, 1);
      const got = await runMatMulNBits(ggufBlocksToNBits(type, raw, n, k, "t"), a, m, 1);
      expect(maxRelError(got, reference(a, weights, m, n, k))).toBeLessThan(1e-5);
    });
  }

  test("a tensor whose size does not match its blocks is a malformed checkpoint", () => {
    const { raw } = ggufTensor("Q8_0", 2, 64, 1);
    expect(() => ggufBlocksToNBits("Q8_0", raw.subarray(1), 2, 64, "m.gguf: output.weight")).toThrow(ConvertError);
    expect(() => ggufBlocksToNBits("Q4_0", new Uint8Array(18), 1, 40, "m.gguf: x")).toThrow(/whole blocks/);
  });
});

describe("quantizeNBits", () => {
  for (const bits of [8, 4] as const) {
    for (const symmetric of [true, false]) {
      const name = `${bits} bits ${symmetric ? "symmetric" : "with zero points"}`;

      test(`${name}: every weight within half a step of its block's scale (Q4_0's clamped top aside), zero exact`, () => {
        const n = 16;
        const k = 72; // not a multiple of 32: the last block is padded
        const w = randomWeights(n * k, bits * 10 + (symmetric ? 1 : 0));
        w[5] = 0;
        const q = quantizeNBits(w, n, k, { bits, symmetric });
        const back = dequantizeNBits(q);
        const kBlocks = blocksPerRow(k, 32);
        for (let row = 0; row < n; row++) {
          for (let t = 0; t < k; t++) {
            const scale = Math.abs(q.scales[row * kBlocks + Math.floor(t / 32)]!);
            const x = w[row * k + t]!;
            // symmetric 4 bits spans −8…+7 steps (as Q4_0): the side opposite the block's extreme clamps at +7
            const bound = bits === 4 && symmetric ? Math.max(scale / 2, Math.abs(x) - 7 * scale) : scale / 2;
            expect(Math.abs(back[row * k + t]! - x)).toBeLessThanOrEqual(bound + 1e-9);
          }
        }
        if (!symmetric) expect(back[5]).toBe(0);
      });

      test(`${name}: onnxruntime computes with the dequantized weights`, async () => {
        const n = 48;
        const k = 80;
        const m = 2;
        const w = randomWeights(n * k, 3);
        const q = quantizeNBits(w, n, k, { bits, symmetric });
        const a = randomWeights(m * k, 4, 1);
        const got = await runMatMulNBits(q, a, m, 1);
        expect(maxRelError(got, reference(a, dequantizeNBits(q), m, n, k))).toBeLessThan(1e-5);
      });
    }
  }

  test("symmetric 4 bits puts the block's largest-magnitude weight on −8 exactly", () => {
    const w = new Float32Array(32).fill(0.01);
    w[7] = -0.4;
    const back = dequantizeNBits(quantizeNBits(w, 1, 32, { bits: 4, symmetric: true }));
    expect(back[7]).toBe(Math.fround(-0.4 / -8) * -8);
  });

  test("an all-zero block dequantizes to zeros", () => {
    for (const symmetric of [true, false]) {
      for (const bits of [4, 8] as const) expect([...dequantizeNBits(quantizeNBits(new Float32Array(64), 2, 32, { bits, symmetric }))].every((x) => x === 0)).toBe(true);
    }
  });

  test("transposeToRows turns [in, out] into [out, in]", () => {
    expect([...transposeToRows(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3)]).toEqual([1, 4, 2, 5, 3, 6]);
  });
});
