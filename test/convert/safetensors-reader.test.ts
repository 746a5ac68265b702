/**
 * The safetensors reader decodes F32 / F16 / BF16 exactly, reads sharded checkpoints through their index, and
 * refuses every malformed or hostile file with a ConvertError naming the file and the problem — before allocating
 * anything the file merely claims.
 */
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { openTensorSource } from "../../src/convert/readers/open-tensor-source.ts";
import { SafetensorsReader } from "../../src/convert/readers/safetensors-reader.ts";
import { expectConvertError, scratchDir } from "./convert-fixtures.ts";

const tmp = scratchDir("safetensors");
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let counter = 0;
/** A safetensors file from a header (object or raw text) and data bytes; `length` overrides the header length. */
function file(header: object | string, data: number[] | Uint8Array = [], opts: { length?: bigint; name?: string } = {}): string {
  const text = typeof header === "string" ? header : JSON.stringify(header);
  const head = Buffer.from(text);
  const n = Buffer.alloc(8);
  n.writeBigUInt64LE(opts.length ?? BigInt(head.byteLength));
  const p = path.join(tmp, opts.name ?? `f${counter++}.safetensors`);
  fs.writeFileSync(p, Buffer.concat([n, head, Buffer.from(data)]));
  return p;
}
const le16 = (...v: number[]) => v.flatMap((x) => [x & 0xff, x >> 8]);
const le32f = (...v: number[]) => [...new Uint8Array(Float32Array.from(v).buffer)];

describe("reading", () => {
  test("F32, F16 and BF16 decode to the exact float32 values; a space-padded header is fine", async () => {
    const header = {
      __metadata__: { format: "pt" },
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      b: { dtype: "F16", shape: [3], data_offsets: [8, 14] },
      c: { dtype: "BF16", shape: [1, 2], data_offsets: [14, 18] },
    };
    const data = [...le32f(1.5, -0.25), ...le16(0x3e00, 0xc000, 0x0001), ...le16(0x3fc0, 0xbf00)];
    const r = await SafetensorsReader.open(file(`${JSON.stringify(header)}      `, data));
    expect([...r.tensors.keys()]).toEqual(["a", "b", "c"]);
    expect(r.tensors.get("c")).toMatchObject({ name: "c", shape: [1, 2], dtype: "BF16", file: expect.stringMatching(/\.safetensors$/) });
    expect([...(await r.readFloat32("a"))]).toEqual([1.5, -0.25]);
    expect([...(await r.readFloat32("b"))]).toEqual([1.5, -2, 2 ** -24]); // 0x0001: the smallest subnormal half
    expect([...(await r.readFloat32("c"))]).toEqual([1.5, -0.5]);
    expect([...(await r.readRaw("b"))]).toEqual(le16(0x3e00, 0xc000, 0x0001));
    await r.close();
  });

  test("a sharded checkpoint reads every tensor from the shard its index names", async () => {
    const dir = path.join(tmp, "sharded");
    fs.mkdirSync(dir);
    file({ x: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, le32f(7), { name: "sharded/model-00001-of-00002.safetensors" });
    file({ y: { dtype: "BF16", shape: [1], data_offsets: [0, 2] } }, le16(0x4000), { name: "sharded/model-00002-of-00002.safetensors" });
    const index = { metadata: { total_size: 6 }, weight_map: { x: "model-00001-of-00002.safetensors", y: "model-00002-of-00002.safetensors" } };
    fs.writeFileSync(path.join(dir, "model.safetensors.index.json"), JSON.stringify(index));
    const { source, format, files } = await openTensorSource(dir);
    expect(format).toBe("safetensors");
    expect(files).toEqual(["model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]);
    expect(source.tensors.get("y")?.file).toBe("model-00002-of-00002.safetensors");
    expect([...(await source.readFloat32("x"))]).toEqual([7]);
    expect([...(await source.readFloat32("y"))]).toEqual([2]);
    await source.close();
  });

  test("a tensor of a type no weight has is refused when it is read, not when the file opens", async () => {
    const r = await SafetensorsReader.open(file({ ids: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)));
    await expectConvertError(() => r.readFloat32("ids"), { code: "unsupported_tensor_type", message: /tensor ids is stored as I64/ });
    await r.close();
  });

  test("a folder without weights names what it looked for", async () => {
    await expectConvertError(() => openTensorSource(tmp), { code: "checkpoint_missing", message: /model\.safetensors\.index\.json, model\.safetensors, pytorch_model\.bin\.index\.json, pytorch_model\.bin/ });
  });
});

describe("hostile files fail naming the file and the problem", () => {
  const ok = { t: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };
  const cases: [string, () => string, RegExp, ("checkpoint_invalid" | "unsupported_tensor_type")?][] = [
    ["a file shorter than its length field", () => { const p = path.join(tmp, "short.safetensors"); fs.writeFileSync(p, Buffer.from([1, 2, 3])); return p; }, /3 bytes is too short/],
    ["a header length beyond the file", () => file(ok, le32f(1, 2), { length: 1n << 60n }), /header length 1152921504606846976 is beyond the file/],
    ["a header that is not JSON", () => file("{not json", []), /header is not valid JSON/],
    ["a header that is a JSON array", () => file("[1, 2]", []), /header is not a JSON object/],
    ["offsets beyond the file (truncated data)", () => file({ t: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, le32f(1, 2)), /data_offsets \[0, 16\] are beyond the file's 8 data bytes/],
    ["offsets that do not match the shape", () => file({ t: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, le32f(1, 2)), /shape \[3\] of F32 needs 12 bytes, data_offsets give 8/],
    ["a shape claiming petabytes", () => file({ t: { dtype: "F32", shape: [2 ** 25, 2 ** 25], data_offsets: [0, 8] } }, le32f(1, 2)), /needs 4503599627370496 bytes/],
    ["overlapping tensors", () => file({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, le32f(1, 2)), /tensors a and b overlap/],
    ["offsets that run backwards", () => file({ t: { dtype: "F32", shape: [0], data_offsets: [8, 0] } }, le32f(1, 2)), /run backwards/],
    ["a shape that is not a list of sizes", () => file({ t: { dtype: "F32", shape: [-1], data_offsets: [0, 8] } }, le32f(1, 2)), /shape \[-1\] is not a list of sizes/],
    ["an unknown dtype", () => file({ t: { dtype: "F17", shape: [2], data_offsets: [0, 8] } }, le32f(1, 2)), /tensor t has unknown dtype "F17"/, "unsupported_tensor_type"],
    ["a header that is not UTF-8", () => file(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString("latin1"), []), /header is not (UTF-8|valid JSON)/],
  ];
  for (const [what, make, message, code] of cases) {
    test(what, async () => {
      const p = make();
      const before = process.memoryUsage().rss;
      await expectConvertError(() => SafetensorsReader.open(p), { code: code ?? "checkpoint_invalid", file: path.basename(p), message });
      expect(process.memoryUsage().rss - before).toBeLessThan(64 << 20); // nothing the file merely claims was allocated
    });
  }

  test("a truncated copy of a real checkpoint", async () => {
    const whole = fs.readFileSync(path.join(process.env.TEST_MODELS_DIR!, "ckpt-gpt2", "model.safetensors"));
    const p = path.join(tmp, "model.safetensors");
    fs.writeFileSync(p, whole.subarray(0, whole.byteLength / 2));
    await expectConvertError(() => SafetensorsReader.open(p), { code: "checkpoint_invalid", file: "model.safetensors", message: /beyond the file's \d+ data bytes \(truncated\?\)/ });
  });

  describe("index files", () => {
    const shard = () => file({ x: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, le32f(1), { name: "idx/model-00001-of-00001.safetensors" });
    const index = (weightMap: unknown) => {
      fs.mkdirSync(path.join(tmp, "idx"), { recursive: true });
      shard();
      fs.writeFileSync(path.join(tmp, "idx", "model.safetensors.index.json"), typeof weightMap === "string" ? weightMap : JSON.stringify({ weight_map: weightMap }));
      return path.join(tmp, "idx");
    };
    for (const name of ["../model-00001-of-00001.safetensors", "sub/model.safetensors", "/etc/passwd", "..", "C:\\x.safetensors", "a\\b.safetensors"]) {
      test(`a weight_map file name ${JSON.stringify(name)} is refused`, async () => {
        await expectConvertError(() => openTensorSource(index({ x: name })), {
          code: "checkpoint_invalid",
          file: "model.safetensors.index.json",
          message: /weight_map names the file .* which is not a plain file name inside the model folder/,
        });
      });
    }
    test("a shard that is not there", async () => {
      await expectConvertError(() => openTensorSource(index({ x: "model-00002-of-00002.safetensors" })), {
        code: "checkpoint_invalid",
        file: "model.safetensors.index.json",
        message: /names the shard model-00002-of-00002\.safetensors, which cannot be opened/,
      });
    });
    test("a tensor its shard does not hold", async () => {
      await expectConvertError(() => openTensorSource(index({ x: "model-00001-of-00001.safetensors", y: "model-00001-of-00001.safetensors" })), {
        code: "checkpoint_invalid",
        file: "model-00001-of-00001.safetensors",
        message: /has no tensor y, which model\.safetensors\.index\.json places there/,
      });
    });
    test("an index that is not JSON, or has no weight_map", async () => {
      await expectConvertError(() => openTensorSource(index("{")), { code: "checkpoint_invalid", file: "model.safetensors.index.json", message: /is not valid JSON/ });
      await expectConvertError(() => openTensorSource(index("{}")), { code: "checkpoint_invalid", file: "model.safetensors.index.json", message: /has no weight_map/ });
    });
  });
});
