/**
 * Writes `pytorch_model.bin` as torch.save does (the zip format of torch ≥ 1.6): `archive/data.pkl`, one
 * `archive/data/{key}` per storage, `archive/version`, `archive/byteorder`. Tensors may share a storage (a tied
 * head saved from GPT2LMHeadModel points at the embedding's), or be saved as a transposed view of one.
 */
import * as fs from "node:fs";
import { storedBytes, type StoredDtype, type StoredTensor } from "./stored-tensor.ts";
import { pickleStateDict, type PickledTensor } from "./torch-pickle-writer.ts";
import { zipStored } from "./zip-writer.ts";

const STORAGE_CLASS: Record<StoredDtype, string> = { F32: "torch.FloatStorage", F16: "torch.HalfStorage", BF16: "torch.BFloat16Storage" };

export interface PytorchWriteOptions {
  /** name → the tensor whose storage it shares (same values). */
  sharedStorage?: Readonly<Record<string, string>>;
  /** 2-D tensors saved as the transpose of a [cols, rows] storage (stride [1, rows]). */
  transposedViews?: readonly string[];
  /** Module names for the state dict's `_metadata`. */
  modules?: readonly string[];
}

export function writePytorchBin(file: string, tensors: readonly StoredTensor[], opts: PytorchWriteOptions = {}): void {
  const entries: { name: string; data: Uint8Array }[] = [];
  const pickled: PickledTensor[] = [];
  const storageOf = new Map<string, PickledTensor["storage"]>();
  for (const t of tensors) {
    const numel = t.values.length;
    const shared = opts.sharedStorage?.[t.name];
    const rowMajor = rowMajorStride(t.shape);
    if (shared) {
      const storage = storageOf.get(shared);
      if (!storage) throw new Error(`${t.name} shares the storage of ${shared}, which comes later or not at all`);
      pickled.push({ name: t.name, storage, offset: 0, shape: t.shape, stride: rowMajor });
      continue;
    }
    const storage = { key: String(storageOf.size), cls: STORAGE_CLASS[t.dtype], numel };
    storageOf.set(t.name, storage);
    if (opts.transposedViews?.includes(t.name)) {
      const [rows, cols] = t.shape as [number, number];
      const transposed = new Float32Array(numel);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) transposed[c * rows + r] = t.values[r * cols + c]!;
      entries.push({ name: `archive/data/${storage.key}`, data: storedBytes({ ...t, values: transposed }) });
      pickled.push({ name: t.name, storage, offset: 0, shape: t.shape, stride: [1, rows] });
    } else {
      entries.push({ name: `archive/data/${storage.key}`, data: storedBytes(t) });
      pickled.push({ name: t.name, storage, offset: 0, shape: t.shape, stride: rowMajor });
    }
  }
  const text = (s: string) => new TextEncoder().encode(s);
  const zip = zipStored([
    { name: "archive/data.pkl", data: pickleStateDict(pickled, opts.modules ?? [""]) },
    { name: "archive/byteorder", data: text("little") },
    ...entries,
    { name: "archive/version", data: text("3\n") },
  ]);
  fs.writeFileSync(file, zip);
}

function rowMajorStride(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    stride[d] = s;
    s *= shape[d]!;
  }
  return stride;
}
