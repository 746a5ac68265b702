/**
 * Every tensor of every GGUF fixture (written by gguf-py and llama-quantize) decodes, through the converter's
 * reader, to exactly what a reference dequantizer written here from ggml's block formats gives; and the quantized
 * weights are close to the weights they were quantized from (so the reference is not merely self-consistent).
 */
import { describe, expect, test } from "bun:test";
import { GgufTensorSource } from "../../src/convert/gguf/gguf-tensor-source.ts";
import { fixture, modelFiles } from "./helpers/fixtures.ts";
import { REF_TYPES, refDequantize, refTensorBytes } from "./helpers/ggml-reference.ts";
import { parseGgufForTest } from "./helpers/gguf-parse.ts";

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** One test per model: the shards of a split model together. */
const groups = new Map<string, string[]>();
for (const file of modelFiles()) {
  const key = file.replace(/-\d{5}-of-\d{5}\.gguf$/, ".gguf");
  groups.set(key, [...(groups.get(key) ?? []), file]);
}

describe("GGUF fixtures decode as ggml does", () => {
  for (const [model, files] of groups) {
    test(files.length > 1 ? `${model} (${files.length} shards)` : model, async () => {
      const shards = files.map((f) => parseGgufForTest(fixture(f)));
      const source = GgufTensorSource.open(fixture(files[0]!));
      try {
        const all = shards.flatMap((ref) => ref.tensors.map((t) => ({ ref, t })));
        expect([...source.tensors.keys()].sort()).toEqual(all.map(({ t }) => t.name).sort());
        for (const { ref, t } of all) {
          const info = source.tensors.get(t.name)!;
          expect(info.shape).toEqual([...t.dims].reverse());
          expect(info.dtype).toBe(REF_TYPES[t.type]!.name);
          const count = t.dims.reduce((a, b) => a * b, 1);
          const raw = ref.bytes.subarray(t.offset, t.offset + refTensorBytes(t.type, t.dims));
          expect(await source.readRaw(t.name)).toEqual(raw);
          const want = refDequantize(t.type, raw, count);
          const got = await source.readFloat32(t.name);
          expect(got.length).toBe(count);
          expect(bits(got)).toEqual(bits(want));
        }
      } finally {
        await source.close();
      }
    });
  }
});

// Each quantized file against the lossless F16 file of the same weights (seeded values are exact in float16);
// the bounds are about 1.5× the RMS error of uniform rounding at each bit width (measured 0.004 … 0.065).
const TOLERANCE: Record<string, number> = { Q8_0: 0.006, Q6_K: 0.02, Q5_0: 0.04, Q5_1: 0.04, Q5_K: 0.04, Q4_0: 0.08, Q4_1: 0.08, Q4_K: 0.08 };

describe("quantized weights stay close to the weights they came from", () => {
  const base = parseGgufForTest(fixture("tiny-llama-256-F16.gguf"));
  const original = new Map(base.tensors.map((t) => [t.name, refDequantize(t.type, base.bytes.subarray(t.offset), t.dims.reduce((a, b) => a * b, 1))]));
  for (const q of ["Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K_M", "Q5_K_M", "Q6_K"]) {
    test(q, async () => {
      const file = `tiny-llama-256-${q}.gguf`;
      const source = GgufTensorSource.open(fixture(file));
      const types = new Set<string>();
      try {
        for (const [name, info] of source.tensors) {
          if (info.dtype === "F32") continue;
          types.add(info.dtype);
          const want = original.get(name)!;
          const got = await source.readFloat32(name);
          let err = 0;
          let norm = 0;
          for (let i = 0; i < want.length; i++) {
            err += (got[i]! - want[i]!) ** 2;
            norm += want[i]! ** 2;
          }
          const relative = Math.sqrt(err / norm);
          expect(relative).toBeLessThan(TOLERANCE[info.dtype]!);
          expect(relative).toBeGreaterThan(0); // it really is quantized
        }
      } finally {
        await source.close();
      }
      // what llama-quantize made of the file (the K mixes carry Q6_K for attn_v, ffn_down and the tied embedding)
      const expected: Record<string, string[]> = {
        Q8_0: ["Q8_0"], Q4_0: ["Q4_0", "Q6_K"], Q4_1: ["Q4_1", "Q6_K"], Q5_0: ["Q5_0", "Q6_K"], Q5_1: ["Q5_1", "Q6_K"],
        Q4_K_M: ["Q4_K", "Q6_K"], Q5_K_M: ["Q5_K", "Q6_K"], Q6_K: ["Q6_K"],
      };
      expect([...types].sort()).toEqual(expected[q]!.sort());
    });
  }
});
