/**
 * Sequential little-endian reads over the start of a file through a small window, so parsing a GGUF header never
 * holds more than the window plus the values it returns. Every length is checked against the bytes the file has
 * left before anything is read or allocated; running past the end is a truncated-file error naming the file.
 */
import { readSync } from "node:fs";
import { ConvertError } from "../convert-error.ts";

const WINDOW = 1 << 20;

export class HeaderCursor {
  private window = new Uint8Array(0);
  private view = new DataView(this.window.buffer);
  /** File offset of window[0]. */
  private windowStart = 0;
  private position = 0;
  private readonly decoder = new TextDecoder("utf-8");

  constructor(
    private readonly fd: number,
    readonly fileSize: number,
    readonly file: string,
  ) {}

  get offset(): number {
    return this.position;
  }

  /** Bytes between the cursor and the end of the file. */
  get remaining(): number {
    return this.fileSize - this.position;
  }

  fail(problem: string): ConvertError {
    return new ConvertError("checkpoint_invalid", `${this.file}: ${problem}`, this.file);
  }

  /** Makes `n` bytes at the cursor readable from the window; n is already known to fit the file. */
  private ensure(n: number, what: string): number {
    if (n > this.remaining) throw this.fail(`truncated: ${what} at byte ${this.position} needs ${n} bytes, the file has ${this.remaining} left`);
    const at = this.position - this.windowStart;
    if (at >= 0 && at + n <= this.window.length) return at;
    const size = Math.min(Math.max(n, WINDOW), this.remaining);
    if (this.window.length < size) {
      this.window = new Uint8Array(size);
      this.view = new DataView(this.window.buffer);
    }
    let filled = 0;
    while (filled < size) {
      const got = readSync(this.fd, this.window, filled, size - filled, this.position + filled);
      if (got <= 0) throw this.fail(`truncated: read stopped at byte ${this.position + filled} of ${this.fileSize}`);
      filled += got;
    }
    this.windowStart = this.position;
    return 0;
  }

  skipTo(offset: number): void {
    if (offset > this.fileSize) throw this.fail(`truncated: offset ${offset} is past the end (${this.fileSize} bytes)`);
    this.position = offset;
  }

  u8(what: string): number {
    const at = this.ensure(1, what);
    this.position += 1;
    return this.window[at]!;
  }

  i8(what: string): number {
    const at = this.ensure(1, what);
    this.position += 1;
    return this.view.getInt8(at);
  }

  u16(what: string): number {
    const at = this.ensure(2, what);
    this.position += 2;
    return this.view.getUint16(at, true);
  }

  i16(what: string): number {
    const at = this.ensure(2, what);
    this.position += 2;
    return this.view.getInt16(at, true);
  }

  u32(what: string): number {
    const at = this.ensure(4, what);
    this.position += 4;
    return this.view.getUint32(at, true);
  }

  i32(what: string): number {
    const at = this.ensure(4, what);
    this.position += 4;
    return this.view.getInt32(at, true);
  }

  f32(what: string): number {
    const at = this.ensure(4, what);
    this.position += 4;
    return this.view.getFloat32(at, true);
  }

  f64(what: string): number {
    const at = this.ensure(8, what);
    this.position += 8;
    return this.view.getFloat64(at, true);
  }

  u64Big(what: string): bigint {
    const at = this.ensure(8, what);
    this.position += 8;
    return this.view.getBigUint64(at, true);
  }

  i64Big(what: string): bigint {
    const at = this.ensure(8, what);
    this.position += 8;
    return this.view.getBigInt64(at, true);
  }

  /** A u64 that must be an exact JS number (counts, lengths, offsets, dims). */
  u64(what: string): number {
    const v = this.u64Big(what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`${what} is ${v}, beyond what any file can hold`);
    return Number(v);
  }

  /** A u64-length-prefixed UTF-8 string of at most `limit` bytes. */
  string(what: string, limit: number): string {
    const length = this.u64(`${what} length`);
    if (length > limit) throw this.fail(`${what} is ${length} bytes long, more than the ${limit} allowed`);
    if (length > this.remaining) throw this.fail(`truncated: ${what} at byte ${this.position} claims ${length} bytes, the file has ${this.remaining} left`);
    const at = this.ensure(length, what);
    this.position += length;
    return this.decoder.decode(this.window.subarray(at, at + length));
  }

  /** `n` raw bytes copied out of the window (n is checked against the file first). */
  bytes(n: number, what: string): Uint8Array {
    const at = this.ensure(n, what);
    this.position += n;
    return this.window.slice(at, at + n);
  }
}
