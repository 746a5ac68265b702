/**
 * fp32 MatMul against com.microsoft.MatMulNBits (8 and 4 bits, block 32, accuracy_level 4 = int8 activations, and
 * level 1 = fp32 activations for contrast) at
 * GPT-2 124M's linear shapes. Each case multiplies by `copies` distinct weights of the shape (12, as the model's
 * 12 layers do) so the weights are not all cache-resident as a single one would be, and reports ms per matrix.
 * The LM head (50257 × 768) is one matrix, fp32 as Gemm(transB) (how our graphs read a tied embedding) and MatMul.
 *
 *   bun scripts/bench/probes/matmul-nbits-probe.ts [--threads 2] [--rounds 5] [--reps 5] [--m 1,8,128]
 *
 * Results: docs/perf/matmul-nbits.md.
 */
import { GraphBuilder, type Value } from "../../../src/convert/onnx/graph-builder.ts";
import { quantizeNBits } from "../../../src/convert/quantize/quantize-nbits.ts";
import type { NBitsWeight } from "../../../src/convert/quantize/nbits-weight.ts";
import { contribModel, f32, interleaved, loadLine, openSession, randomFloats, rawInitializer, table, UINT8 } from "./probe-kit.ts";
import type { TensorProto } from "../../../src/convert/onnx/onnx-proto.ts";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const THREADS = Number(arg("threads", "2"));
const ROUNDS = Number(arg("rounds", "5"));
const REPS = Number(arg("reps", "5"));
const MS = arg("m", "1,8,128").split(",").map(Number);

type Kind = "fp32" | "fp32-gemm" | "q8" | "q4" | "q4-zp" | "q8-acc1" | "q4-acc1";

/** Adds MatMulNBits inputs for `w` under `name`; returns the node's output. */
export function nbitsNode(b: GraphBuilder, extra: TensorProto[], x: Value, w: NBitsWeight, name: string, accuracyLevel = 4): Value {
  const kBlocks = Math.ceil(w.k / w.blockSize);
  extra.push(rawInitializer(`${name}.q`, UINT8, [w.n, kBlocks, (w.blockSize * w.bits) / 8], w.packed));
  extra.push(rawInitializer(`${name}.scales`, 1 as TensorProto["dataType"], [w.n * kBlocks], w.scales));
  const inputs = [x, `${name}.q`, `${name}.scales`];
  if (w.zeroPoints) {
    extra.push(rawInitializer(`${name}.zp`, UINT8, [w.zeroPoints.length], w.zeroPoints));
    inputs.push(`${name}.zp`);
  }
  return b.op("MatMulNBits", inputs, { K: w.k, N: w.n, bits: w.bits, block_size: w.blockSize, accuracy_level: accuracyLevel });
}

function build(kind: Kind, k: number, n: number, copies: number) {
  const b = new GraphBuilder(`mm-${kind}`);
  const extra: TensorProto[] = [];
  const x = b.input("x", "float32", ["m", k]);
  let sum: Value | null = null;
  for (let c = 0; c < copies; c++) {
    const rows = randomFloats(n * k, 1000 + c, 0.035); // ≈ std 0.02, GPT-2's init
    let y: Value;
    if (kind === "fp32") y = b.matmul(x, b.initializer(`w${c}`, [k, n], rows)); // values only; the layout does not matter for speed
    else if (kind === "fp32-gemm") y = b.op("Gemm", [x, b.initializer(`w${c}`, [n, k], rows)], { transB: 1 });
    else {
      const bits = kind.startsWith("q8") ? 8 : 4;
      y = nbitsNode(b, extra, x, quantizeNBits(rows, n, k, { bits, symmetric: kind !== "q4-zp" }), `w${c}`, kind.endsWith("acc1") ? 1 : 4);
    }
    sum = sum ? b.add(sum, y) : y;
  }
  b.output(sum!, "y", "float32", ["m", n]);
  return contribModel(b, { initializers: extra });
}

const shapes: { label: string; k: number; n: number; copies: number; kinds: Kind[] }[] = [
  { label: "qkv 768→2304", k: 768, n: 2304, copies: 12, kinds: ["fp32", "q8", "q4", "q4-zp", "q8-acc1", "q4-acc1"] },
  { label: "attn out 768→768", k: 768, n: 768, copies: 12, kinds: ["fp32", "q8", "q4", "q4-zp", "q8-acc1", "q4-acc1"] },
  { label: "mlp up 768→3072", k: 768, n: 3072, copies: 12, kinds: ["fp32", "q8", "q4", "q4-zp", "q8-acc1", "q4-acc1"] },
  { label: "mlp down 3072→768", k: 3072, n: 768, copies: 12, kinds: ["fp32", "q8", "q4", "q4-zp", "q8-acc1", "q4-acc1"] },
  { label: "LM head 768→50257", k: 768, n: 50257, copies: 1, kinds: ["fp32-gemm", "fp32", "q8", "q4", "q4-zp", "q8-acc1", "q4-acc1"] },
];

console.log(`# MatMulNBits probe: block 32, accuracy_level 4, ${THREADS} threads; ${loadLine()}\n`);
const rows: (string | number)[][] = [];
for (const s of shapes) {
  const sessions = await Promise.all(s.kinds.map((kind) => openSession(build(kind, s.k, s.n, s.copies), THREADS)));
  for (const m of MS) {
    const runs: Record<string, () => Promise<unknown>> = {};
    const feeds = { x: f32(randomFloats(m * s.k, 9), [m, s.k]) };
    s.kinds.forEach((kind, i) => (runs[kind] = () => sessions[i]!.run(feeds)));
    const ms = await interleaved(runs, ROUNDS, REPS);
    const per = (kind: Kind) => (ms[kind] !== undefined ? ms[kind] / s.copies : NaN);
    const fp = s.copies === 1 ? Math.min(per("fp32"), per("fp32-gemm")) : per("fp32");
    rows.push([s.label, String(m), per("fp32"), s.copies === 1 ? per("fp32-gemm") : "-", per("q8"), per("q4"), per("q4-zp"), per("q8-acc1"), per("q4-acc1"), `${(fp / per("q8")).toFixed(2)}× / ${(fp / per("q4")).toFixed(2)}×`]);
    console.error(rows.at(-1)!.join("  "));
  }
  for (const session of sessions) await session.release();
}
console.log(table(["shape (ms per matrix)", "M", "fp32 MatMul", "fp32 Gemm transB", "q8", "q4 sym", "q4 zero points", "q8 acc. level 1", "q4 acc. level 1", "speed-up q8 / q4 (level 4)"], rows));
console.log(`\n${loadLine()}`);
