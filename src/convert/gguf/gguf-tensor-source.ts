/**
 * A GGUF model (one file or the shards of a split one) as a TensorSource: tensors by their stored names, shapes in
 * PyTorch's outermost-first order, read and dequantized one at a time.
 */
import type { TensorInfo, TensorSource } from "../tensor-source.ts";
import { canDequantize, dequantize, unsupportedTensorType } from "./dequantize/dequantize.ts";
import type { GgufFile } from "./gguf-file.ts";
import type { GgufTensorInfo } from "./gguf-header.ts";
import type { GgufMetadata } from "./gguf-metadata.ts";
import { ggufShardPaths, openGgufShards } from "./gguf-split.ts";

interface Located {
  file: GgufFile;
  info: GgufTensorInfo;
}

export class GgufTensorSource implements TensorSource {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  private readonly located: ReadonlyMap<string, Located>;

  private constructor(readonly files: readonly GgufFile[]) {
    const tensors = new Map<string, TensorInfo>();
    const located = new Map<string, Located>();
    for (const file of files) {
      for (const info of file.header.tensors) {
        tensors.set(info.name, { name: info.name, shape: [...info.dims].reverse(), dtype: info.type.name, file: file.name });
        located.set(info.name, { file, info });
      }
    }
    this.tensors = tensors;
    this.located = located;
  }

  /**
   * Opens `path` — a `.gguf` file, or any shard of a split model, whose siblings are found by name — or the given
   * list of shards in order.
   */
  static open(path: string | readonly string[]): GgufTensorSource {
    const paths = typeof path === "string" ? ggufShardPaths(path) : path;
    return new GgufTensorSource(openGgufShards(paths));
  }

  /** The model's metadata (the first shard's). */
  get metadata(): GgufMetadata {
    return this.files[0]!.header.metadata;
  }

  /** The stored ggml layout of a tensor: dims innermost first, type, byte size. */
  ggufInfo(name: string): GgufTensorInfo | undefined {
    return this.located.get(name)?.info;
  }

  private locate(name: string): Located {
    const at = this.located.get(name);
    if (!at) throw new Error(`no tensor ${name} in ${this.files.map((f) => f.name).join(", ")}`);
    return at;
  }

  async readRaw(name: string): Promise<Uint8Array> {
    const { file, info } = this.locate(name);
    return file.readTensor(info);
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const { file, info } = this.locate(name);
    const where = { file: file.name, tensor: name };
    if (!canDequantize(info.type.name)) throw unsupportedTensorType(info.type.name, where);
    return dequantize(info.type.name, await file.readTensor(info), info.elements, where);
  }

  async close(): Promise<void> {
    for (const f of this.files) f.close();
  }
}
