/**
 * `pytorch_model.bin` as a TensorSource: the zip torch.save writes (`{archive}/data.pkl` describing the state dict,
 * `{archive}/data/{key}` holding each storage's bytes). The pickle is read by the restricted unpickler, every
 * tensor view is checked to lie inside its storage, and each tensor's bytes are read on demand.
 */
import type { TensorInfo, TensorSource } from "../tensor-source.ts";
import { CheckpointFile } from "./checkpoint-file.ts";
import { decodeFloat32, ELEMENT_SIZE } from "./stored-dtype.ts";
import { Dict, isTensor, unpickleTorch, type TensorRecord } from "./torch-pickle.ts";
import { readZipDirectory, type ZipEntry } from "./zip-directory.ts";

const MAX_PICKLE_BYTES = 64 << 20;
/** Elements per tensor: a Float32Array of more is beyond what one weight can be here (4 GiB). */
const MAX_ELEMENTS = 2 ** 30;

interface PytorchTensor extends TensorInfo {
  record: TensorRecord;
  entry: ZipEntry;
}

export class PytorchReader implements TensorSource {
  private constructor(
    private readonly file: CheckpointFile,
    private readonly entries: Map<string, PytorchTensor>,
  ) {}

  get tensors(): ReadonlyMap<string, TensorInfo> {
    return this.entries;
  }

  static async open(path: string): Promise<PytorchReader> {
    const file = await CheckpointFile.open(path);
    try {
      return new PytorchReader(file, await readTensors(file));
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  async readRaw(name: string): Promise<Uint8Array> {
    const t = this.entries.get(name);
    if (!t) throw this.file.invalid(`has no tensor ${name}`);
    const size = ELEMENT_SIZE[t.dtype]!;
    const { offset, shape, stride } = t.record;
    const count = shape.reduce((a, b) => a * b, 1);
    if (count === 0) return new Uint8Array(0);
    if (isContiguous(shape, stride)) return this.file.read(t.entry.dataStart + offset * size, count * size);
    // A strided view (a transposed or sliced tensor saved as such): read its span, then gather row-major.
    const span = lastIndex(t.record) - offset + 1;
    const src = await this.file.read(t.entry.dataStart + offset * size, span * size);
    const out = new Uint8Array(count * size);
    const index = new Array<number>(shape.length).fill(0);
    for (let n = 0; n < count; n++) {
      let at = 0;
      for (let d = 0; d < shape.length; d++) at += index[d]! * stride[d]!;
      out.set(src.subarray(at * size, at * size + size), n * size);
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++index[d]! < shape[d]!) break;
        index[d] = 0;
      }
    }
    return out;
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const bytes = await this.readRaw(name);
    const t = this.entries.get(name)!;
    return decodeFloat32(bytes, t.dtype, t);
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

async function readTensors(file: CheckpointFile): Promise<Map<string, PytorchTensor>> {
  const zip = await readZipDirectory(file);
  const pickles = [...zip.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pickles.length !== 1) throw file.invalid(`holds ${pickles.length} */data.pkl records; a torch.save archive has exactly one`);
  const prefix = pickles[0]!.slice(0, -"data.pkl".length);

  const byteorder = zip.get(`${prefix}byteorder`);
  if (byteorder) {
    const order = new TextDecoder().decode(await file.read(byteorder.dataStart, Math.min(byteorder.size, 16))).trim();
    if (order !== "little") throw file.invalid(`was saved ${order}-endian; only little-endian checkpoints are read`);
  }
  const pkl = zip.get(pickles[0]!)!;
  if (pkl.size > MAX_PICKLE_BYTES) throw file.invalid(`data.pkl of ${pkl.size} bytes is more than a state dict needs`);
  const root = unpickleTorch(await file.read(pkl.dataStart, pkl.size), file.name);
  if (!(root instanceof Dict)) throw file.invalid("does not hold a state dict (a dict of tensors)");

  const out = new Map<string, PytorchTensor>();
  for (const [name, value] of root.entries) {
    if (typeof name !== "string") throw file.invalid("a state dict key is not a string");
    if (!isTensor(value)) throw file.invalid(`state dict entry ${name} is not a tensor`);
    const { storage, shape } = value;
    const entry = zip.get(`${prefix}data/${storage.key}`);
    if (!entry) throw file.invalid(`tensor ${name}: storage ${storage.key} is not in the archive`);
    const size = ELEMENT_SIZE[storage.dtype]!;
    if (storage.numel * size !== entry.size) {
      throw file.invalid(`tensor ${name}: storage ${storage.key} should hold ${storage.numel} ${storage.dtype} elements (${storage.numel * size} bytes), the archive has ${entry.size}`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (count > MAX_ELEMENTS) throw file.invalid(`tensor ${name}: shape [${shape.join(", ")}] is too large`);
    if (count > 0 && lastIndex(value) >= storage.numel) {
      throw file.invalid(`tensor ${name}: shape [${shape.join(", ")}] with stride [${value.stride.join(", ")}] at offset ${value.offset} reaches past its storage of ${storage.numel} elements`);
    }
    out.set(name, { name, shape, dtype: storage.dtype, file: file.name, record: value, entry });
  }
  return out;
}

/** The storage index of a view's last element (for a non-empty view). */
function lastIndex(t: TensorRecord): number {
  return t.shape.reduce((at, n, d) => at + (n - 1) * t.stride[d]!, t.offset);
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d]!;
  }
  return true;
}
