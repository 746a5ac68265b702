/** The hand-written protobuf/ONNX encoder emits the wire format byte for byte, and onnxruntime runs what it builds. */
import { expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { float, GraphBuilder } from "../../src/convert/onnx/graph-builder.ts";
import { encodeModel } from "../../src/convert/onnx/onnx-proto.ts";
import { ProtoWriter } from "../../src/convert/onnx/protobuf-writer.ts";

const hex = (w: ProtoWriter) => Buffer.concat(w.finish()).toString("hex");

test("encodes varints, negative int64, strings, fixed32 floats and nested messages", () => {
  expect(hex(new ProtoWriter().int64(1, 150))).toBe("089601");
  expect(hex(new ProtoWriter().int64(1, -1))).toBe("08ffffffffffffffffff01");
  expect(hex(new ProtoWriter().int64(1, 2n ** 40n))).toBe("08808080808020");
  expect(hex(new ProtoWriter().string(2, "testing"))).toBe("120774657374696e67");
  expect(hex(new ProtoWriter().float32(3, 1))).toBe("1d0000803f");
  expect(hex(new ProtoWriter().message(3, new ProtoWriter().int64(1, 150)))).toBe("1a03089601");
});

test("keeps large byte arrays by reference instead of copying them", () => {
  const big = new Uint8Array(10_000).fill(7);
  const w = new ProtoWriter().message(1, new ProtoWriter().bytes(9, big));
  expect(w.finish()).toContain(big);
  expect(w.byteLength).toBe(1 + 2 + 1 + 2 + big.byteLength);
});

test("a built graph with int, ints and float attributes runs in onnxruntime", async () => {
  const b = new GraphBuilder("probe");
  const x = b.input("x", "float32", ["batch_size", 4]);
  const w = b.initializer("w", [4, 2], Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1]));
  const normed = b.op("LayerNormalization", [x, b.initializer("g", [4], new Float32Array(4).fill(1))], {
    axis: -1,
    epsilon: float(0.5),
  });
  b.output(b.transpose(b.matmul(normed, w), [1, 0]), "y", "float32", [2, "batch_size"]);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "onnx-probe-")), "probe.onnx");
  fs.writeFileSync(file, Buffer.concat(encodeModel(b.toModel())));
  try {
    const session = await ort.InferenceSession.create(file);
    const y = (await session.run({ x: new ort.Tensor("float32", Float32Array.from([1, 2, 3, 4]), [1, 4]) })).y!;
    // mean 2.5, variance 1.25; (x - 2.5) / sqrt(1.25 + 0.5) summed over columns {0, 2} and {1, 3}.
    const s = Math.sqrt(1.75);
    expect(y.dims).toEqual([2, 1]);
    const [first, second] = y.data as Float32Array;
    expect(first).toBeCloseTo((-1.5 + 0.5) / s, 6); // with the default epsilon (1e-5) this would be -0.894
    expect(second).toBeCloseTo((-0.5 + 1.5) / s, 6);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});
