/**
 * A checkpoint file opened for bounded reads: its size is known up front, every read names a range that was
 * checked against it, and a file that turns out shorter than it said (truncated, or changed underneath) is a
 * ConvertError naming it, never a short buffer.
 */
import { open, type FileHandle } from "node:fs/promises";
import { basename } from "node:path";
import { ConvertError } from "../convert-error.ts";

export class CheckpointFile {
  private constructor(
    private readonly handle: FileHandle,
    /** Base name, for messages. */
    readonly name: string,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<CheckpointFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, "r");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ConvertError("checkpoint_missing", `${basename(path)} cannot be opened (${code ?? String(err)})`, basename(path));
    }
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      throw new ConvertError("checkpoint_invalid", `${basename(path)} is not a regular file`, basename(path));
    }
    return new CheckpointFile(handle, basename(path), stat.size);
  }

  /** Exactly `length` bytes at `position`; the caller has checked the range lies inside `size`. */
  async read(position: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(position) || !Number.isSafeInteger(length) || position < 0 || length < 0 || position + length > this.size) {
      throw this.invalid(`read of ${length} bytes at ${position} is outside the file (${this.size} bytes)`);
    }
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const { bytesRead } = await this.handle.read(out, done, length - done, position + done);
      if (bytesRead === 0) throw this.invalid(`the file ended after ${position + done} bytes, ${this.size} were expected (truncated or changed while reading)`);
      done += bytesRead;
    }
    return out;
  }

  invalid(problem: string): ConvertError {
    return new ConvertError("checkpoint_invalid", `${this.name}: ${problem}`, this.name);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
