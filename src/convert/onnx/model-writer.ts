/**
 * Writes a ModelProto to disk, producing its lazy weights one at a time: each is loaded, written (inline, or
 * appended to the external data file beside the model) and dropped before the next, so writing a model holds one
 * weight in memory at most, and a multi-GB model keeps its .onnx far under protobuf's 2 GB limit.
 *
 * Files appear under temporary names and are renamed into place at the end, the .onnx last: a folder never holds
 * a model.onnx whose data file is incomplete.
 */
import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { encodeModel, type ModelProto, type TensorProto } from "./onnx-proto.ts";

export interface WriteProgress {
  tensorsDone: number;
  tensorsTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface WriteModelOptions {
  /**
   * Weights go to this file (a base name, beside the model; ONNX's convention is `model.onnx_data`). Without it
   * every weight is inlined, which suits small models (the factory's exports) and needs the whole model in memory.
   */
  externalData?: string;
  /** Called after each weight is written. */
  onProgress?: (p: WriteProgress) => void;
}

/** Weights smaller than this stay inline even with external data: not worth a file offset. */
const EXTERNAL_MIN_BYTES = 1024;
/** Every external tensor starts at a multiple of this, so onnxruntime can read (or map) it aligned. */
const ALIGN = 64;
/** Tensors this large start at a multiple of the allocation granularity, which lets them be memory-mapped anywhere. */
const PAGE_ALIGN_FROM = 1 << 20;
const PAGE = 65536;

export async function writeModel(model: ModelProto, onnxPath: string, opts: WriteModelOptions = {}): Promise<void> {
  const dir = dirname(onnxPath);
  const suffix = `.tmp-${process.pid}`;
  const tmpOnnx = `${onnxPath}${suffix}`;
  const dataName = opts.externalData;
  if (dataName !== undefined && basename(dataName) !== dataName) throw new Error(`external data file must be a base name: ${dataName}`);
  const dataPath = dataName === undefined ? null : join(dir, dataName);
  const tmpData = dataPath && `${dataPath}${suffix}`;

  let data: FileHandle | null = null;
  try {
    if (tmpData) data = await open(tmpData, "w");
    const initializers = await resolveTensors(model.graph.initializers, data, dataName ?? null, opts.onProgress);
    await data?.close();
    data = null;
    const resolved: ModelProto = { ...model, graph: { ...model.graph, initializers } };
    await writeChunks(tmpOnnx, encodeModel(resolved));
    if (dataPath && tmpData) await rename(tmpData, dataPath);
    await rename(tmpOnnx, onnxPath);
  } catch (err) {
    await data?.close().catch(() => {});
    await rm(tmpOnnx, { force: true });
    if (tmpData) await rm(tmpData, { force: true });
    throw err;
  }
}

async function resolveTensors(
  tensors: readonly TensorProto[],
  data: FileHandle | null,
  location: string | null,
  onProgress: WriteModelOptions["onProgress"],
): Promise<TensorProto[]> {
  const lazy = tensors.filter((t) => t.data.kind === "lazy");
  const progress: WriteProgress = {
    tensorsDone: 0,
    tensorsTotal: lazy.length,
    bytesDone: 0,
    bytesTotal: lazy.reduce((n, t) => n + (t.data.kind === "lazy" ? t.data.byteLength : 0), 0),
  };
  let offset = 0;
  const out: TensorProto[] = [];
  for (const t of tensors) {
    if (t.data.kind !== "lazy") {
      out.push(t);
      continue;
    }
    const expected = t.data.byteLength;
    const bytes = await t.data.produce();
    if (bytes.byteLength !== expected) throw new Error(`tensor ${t.name}: produced ${bytes.byteLength} bytes, expected ${expected}`);
    if (data && location && expected >= EXTERNAL_MIN_BYTES) {
      const align = expected >= PAGE_ALIGN_FROM ? PAGE : ALIGN;
      const start = Math.ceil(offset / align) * align;
      if (start > offset) await writeAll(data, new Uint8Array(start - offset), offset);
      await writeAll(data, bytes, start);
      offset = start + expected;
      out.push({ ...t, data: { kind: "external", location, offset: start, length: expected } });
    } else {
      out.push({ ...t, data: { kind: "raw", bytes } });
    }
    progress.tensorsDone++;
    progress.bytesDone += expected;
    onProgress?.({ ...progress });
  }
  return out;
}

async function writeAll(file: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.byteLength; ) {
    const { bytesWritten } = await file.write(bytes, done, bytes.byteLength - done, position + done);
    done += bytesWritten;
  }
}

/** Many small protobuf chunks are gathered into blocks of this size, so writing a model is a few large writes. */
const WRITE_BLOCK = 1 << 20;

async function writeChunks(path: string, chunks: readonly Uint8Array[]): Promise<void> {
  const file = await open(path, "w");
  try {
    let position = 0;
    const block = new Uint8Array(WRITE_BLOCK);
    let used = 0;
    const flush = async () => {
      await writeAll(file, block.subarray(0, used), position);
      position += used;
      used = 0;
    };
    for (const chunk of chunks) {
      if (used + chunk.byteLength > WRITE_BLOCK) await flush();
      if (chunk.byteLength >= WRITE_BLOCK) {
        await writeAll(file, chunk, position);
        position += chunk.byteLength;
      } else {
        block.set(chunk, used);
        used += chunk.byteLength;
      }
    }
    if (used) await flush();
  } finally {
    await file.close();
  }
}
