/** One `.safetensors` file as a TensorSource: the header is read and checked on open, each tensor on demand. */
import type { TensorInfo, TensorSource } from "../tensor-source.ts";
import { CheckpointFile } from "./checkpoint-file.ts";
import { headerLength, parseSafetensorsHeader, type SafetensorsEntry } from "./safetensors-header.ts";
import { decodeFloat32 } from "./stored-dtype.ts";

export class SafetensorsReader implements TensorSource {
  private constructor(
    private readonly file: CheckpointFile,
    private readonly entries: Map<string, SafetensorsEntry>,
  ) {}

  get tensors(): ReadonlyMap<string, TensorInfo> {
    return this.entries;
  }

  static async open(path: string): Promise<SafetensorsReader> {
    const file = await CheckpointFile.open(path);
    try {
      const n = headerLength(await file.read(0, Math.min(8, file.size)), file.size, file.name);
      const entries = parseSafetensorsHeader(await file.read(8, n), file.size, file.name);
      return new SafetensorsReader(file, entries);
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  async readRaw(name: string): Promise<Uint8Array> {
    const e = this.entry(name);
    return this.file.read(e.start, e.end - e.start);
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const e = this.entry(name);
    return decodeFloat32(await this.readRaw(name), e.dtype, e);
  }

  close(): Promise<void> {
    return this.file.close();
  }

  private entry(name: string): SafetensorsEntry {
    const e = this.entries.get(name);
    if (!e) throw this.file.invalid(`has no tensor ${name}`);
    return e;
  }
}
