/**
 * The pytorch_model.bin reader: the zip torch.save writes, its pickle read by a VM that knows only tensor records.
 * Shared storages and strided views read the right elements; any other global or opcode, a compressed or truncated
 * archive, a view past its storage, fail with a ConvertError naming the file — nothing in the pickle is ever run.
 */
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { writePytorchBin } from "../../scripts/checkpoints/pytorch-writer.ts";
import type { StoredTensor } from "../../scripts/checkpoints/stored-tensor.ts";
import { pickleStateDict } from "../../scripts/checkpoints/torch-pickle-writer.ts";
import { zipStored, type ZipInput } from "../../scripts/checkpoints/zip-writer.ts";
import { CHECKPOINT_RECIPES } from "../../scripts/make-test-models.ts";
import { openTensorSource } from "../../src/convert/readers/open-tensor-source.ts";
import { PytorchReader } from "../../src/convert/readers/pytorch-reader.ts";
import { testModelPath } from "../models/test-models-dir.ts";
import { expectConvertError, scratchDir } from "./convert-fixtures.ts";

const tmp = scratchDir("pytorch");
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let counter = 0;
function bin(entries: readonly ZipInput[] | Uint8Array): string {
  const p = path.join(tmp, `m${counter++}.bin`);
  fs.writeFileSync(p, entries instanceof Uint8Array ? entries : zipStored(entries));
  return p;
}
/** Pickle bytes from opcodes (numbers) and raw ASCII (strings). */
function pk(...parts: (number | string)[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => (typeof p === "number" ? [p] : [...Buffer.from(p, "latin1")])));
}
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const withPickle = (pkl: Uint8Array, extra: ZipInput[] = []) => bin([{ name: "archive/data.pkl", data: pkl }, ...extra]);
const f32 = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);

describe("reading", () => {
  test("the factory's torch.save-style checkpoint reads back every tensor exactly, the tied head from the embedding's storage", async () => {
    const recipe = CHECKPOINT_RECIPES.find((r) => r.name === "ckpt-gpt2-bin")!;
    const { source, format } = await openTensorSource(testModelPath("ckpt-gpt2-bin"));
    expect(format).toBe("pytorch");
    for (const t of recipe.tensors()) expect(await source.readFloat32(t.name)).toEqual(t.values);
    expect(await source.readFloat32("lm_head.weight")).toEqual(await source.readFloat32("transformer.wte.weight"));
    await source.close();
  });

  test("a strided view and a shared storage read the elements the tensor shows", async () => {
    const t = (name: string, shape: number[], values: number[]): StoredTensor => ({ name, shape, dtype: "F32", values: Float32Array.from(values) });
    const p = path.join(tmp, "views.bin");
    writePytorchBin(p, [t("a", [2, 3], [1, 2, 3, 4, 5, 6]), t("b", [3], [7, 8, 9]), t("c", [3], [7, 8, 9])], { transposedViews: ["a"], sharedStorage: { c: "b" } });
    const r = await PytorchReader.open(p);
    expect([...(await r.readFloat32("a"))]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...(await r.readFloat32("c"))]).toEqual([7, 8, 9]);
    expect(r.tensors.get("a")).toMatchObject({ shape: [2, 3], dtype: "F32", file: "views.bin" });
    await r.close();
  });

  test("half and bfloat16 storages decode; integer storages are refused only when read", async () => {
    const dict = pickleStateDict(
      [
        { name: "h", storage: { key: "0", cls: "torch.HalfStorage", numel: 2 }, offset: 0, shape: [2], stride: [1] },
        { name: "b", storage: { key: "1", cls: "torch.BFloat16Storage", numel: 2 }, offset: 1, shape: [1], stride: [1] },
        { name: "ids", storage: { key: "2", cls: "torch.LongStorage", numel: 1 }, offset: 0, shape: [1], stride: [1] },
      ],
      [""],
    );
    const r = await PytorchReader.open(
      withPickle(dict, [
        { name: "archive/data/0", data: Uint8Array.of(0x00, 0x3e, 0x00, 0xc0) },
        { name: "archive/data/1", data: Uint8Array.of(0x80, 0x3f, 0x00, 0xbf) },
        { name: "archive/data/2", data: new Uint8Array(8) },
      ]),
    );
    expect([...(await r.readFloat32("h"))]).toEqual([1.5, -2]);
    expect([...(await r.readFloat32("b"))]).toEqual([-0.5]); // offset 1 into the storage
    await expectConvertError(() => r.readFloat32("ids"), { code: "unsupported_tensor_type", message: /tensor ids is stored as I64/ });
    await r.close();
  });
});

describe("hostile archives fail naming the file and the problem; nothing is run", () => {
  const refuses = async (p: string, message: RegExp) => expectConvertError(() => PytorchReader.open(p), { code: "checkpoint_invalid", file: path.basename(p), message });

  test("a global that is not a tensor record (os.system, builtins.eval, via GLOBAL or STACK_GLOBAL)", async () => {
    await refuses(withPickle(pk(0x80, 2, 0x63, "os\nsystem\n", 0x58, ...u32(7), "echo hi", 0x85, 0x52, 0x2e)), /refers to os\.system, which is not a tensor record.*nothing in them is run \(at byte 2\)/);
    await refuses(withPickle(pk(0x80, 2, 0x63, "builtins\neval\n", 0x2e)), /refers to builtins\.eval/);
    await refuses(withPickle(pk(0x80, 4, 0x8c, 5, "posix", 0x8c, 6, "system", 0x93, 0x2e)), /refers to posix\.system/);
    await refuses(withPickle(pk(0x80, 2, 0x63, "torch\nload\n", 0x2e)), /refers to torch\.load/);
  });

  test("an opcode torch.save does not write for tensors (INST, OBJ, NEWOBJ, EXT1, text PERSID)", async () => {
    for (const [op, name] of [[0x69, "69"], [0x6f, "6f"], [0x81, "81"], [0x82, "82"], [0x50, "50"]] as const) {
      await refuses(withPickle(pk(0x80, 2, 0x28, op, "x\ny\n", 0x2e)), new RegExp(`opcode 0x${name} is not one torch\\.save writes for tensors; refused \\(at byte 3\\)`));
    }
  });

  test("a storage class or OrderedDict called as a function with arguments", async () => {
    await refuses(withPickle(pk(0x80, 2, 0x63, "torch\nFloatStorage\n", 0x29, 0x52, 0x2e)), /REDUCE of something that is not an allowed tensor constructor/);
    await refuses(withPickle(pk(0x80, 2, 0x63, "collections\nOrderedDict\n", 0x4b, 1, 0x85, 0x52, 0x2e)), /OrderedDict called with arguments/);
  });

  test("a pickle cut short, or reading a memo slot never written", async () => {
    const whole = pickleStateDict([{ name: "w", storage: { key: "0", cls: "torch.FloatStorage", numel: 1 }, offset: 0, shape: [1], stride: [1] }], [""]);
    await refuses(withPickle(whole.subarray(0, 40), [{ name: "archive/data/0", data: f32(1) }]), /ends in the middle of an instruction|pops from an empty stack|no MARK/);
    await refuses(withPickle(pk(0x80, 2, 0x68, 5, 0x2e)), /reads memo 5, which was never stored/);
  });

  test("a state dict that is not a dict of tensors", async () => {
    await refuses(withPickle(pk(0x80, 2, 0x5d, 0x2e)), /does not hold a state dict/);
    await refuses(withPickle(pk(0x80, 2, 0x7d, 0x58, ...u32(1), "a", 0x4b, 3, 0x73, 0x2e)), /state dict entry a is not a tensor/);
  });

  test("a tensor view reaching past its storage, or a storage entry of the wrong size", async () => {
    const view = (shape: number[], numel: number) => pickleStateDict([{ name: "w", storage: { key: "0", cls: "torch.FloatStorage", numel }, offset: 0, shape, stride: [1] }], [""]);
    await refuses(withPickle(view([10], 4), [{ name: "archive/data/0", data: f32(1, 2, 3, 4) }]), /tensor w: shape \[10\] with stride \[1\] at offset 0 reaches past its storage of 4 elements/);
    await refuses(withPickle(view([2], 4), [{ name: "archive/data/0", data: f32(1, 2) }]), /storage 0 should hold 4 F32 elements \(16 bytes\), the archive has 8/);
    await refuses(withPickle(view([2], 2)), /storage 0 is not in the archive/);
  });

  test("a compressed entry, a truncated archive, no data.pkl", async () => {
    const good = zipStored([{ name: "archive/data.pkl", data: pk(0x80, 2, 0x7d, 0x2e) }]);
    const compressed = Uint8Array.from(good);
    const at = Buffer.from(compressed).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); // the central directory entry
    expect(at).toBeGreaterThan(0);
    compressed[at + 10] = 8; // its method: deflate
    await refuses(bin(compressed), /entry archive\/data\.pkl is compressed \(method 8\)/);
    await refuses(bin(good.subarray(0, good.byteLength - 10)), /is not a zip archive \(no end-of-central-directory record; truncated\?\)/);
    await refuses(bin([{ name: "archive/version", data: pk("3\n") }]), /holds 0 \*\/data\.pkl records/);
    const tiny = path.join(tmp, "tiny.bin");
    fs.writeFileSync(tiny, "PK");
    await refuses(tiny, /2 bytes is too short for a zip archive/);
  });

  test("an index whose weight_map leaves the folder", async () => {
    const dir = path.join(tmp, "bin-index");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "pytorch_model.bin.index.json"), JSON.stringify({ weight_map: { w: "../pytorch_model.bin" } }));
    await expectConvertError(() => openTensorSource(dir), { code: "checkpoint_invalid", file: "pytorch_model.bin.index.json", message: /not a plain file name/ });
  });
});
