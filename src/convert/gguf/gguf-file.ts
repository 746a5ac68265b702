/**
 * One open GGUF file: its parsed header and a descriptor for reading one tensor's bytes at a time, on demand.
 */
import { closeSync, fstatSync, openSync, read } from "node:fs";
import { basename } from "node:path";
import { ConvertError } from "../convert-error.ts";
import { parseGgufHeader, type GgufHeader, type GgufTensorInfo } from "./gguf-header.ts";
import { HeaderCursor } from "./header-cursor.ts";

/** One read call moves at most this much (positioned reads of more than 2 GiB fail on some platforms). */
const READ_CHUNK = 1 << 30;

export class GgufFile {
  private closed = false;

  private constructor(
    readonly path: string,
    /** Base name, for messages. */
    readonly name: string,
    readonly size: number,
    readonly header: GgufHeader,
    private readonly fd: number,
  ) {}

  static open(path: string): GgufFile {
    const name = basename(path);
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (e) {
      throw new ConvertError("checkpoint_missing", `${name}: cannot open (${(e as Error).message})`, name);
    }
    try {
      const size = fstatSync(fd).size;
      const header = parseGgufHeader(new HeaderCursor(fd, size, name));
      return new GgufFile(path, name, size, header, fd);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** The tensor's stored bytes, exactly `info.bytes` of them. */
  async readTensor(info: GgufTensorInfo): Promise<Uint8Array> {
    if (this.closed) throw new Error(`${this.name} is closed`);
    const out = new Uint8Array(info.bytes);
    let done = 0;
    while (done < info.bytes) {
      const want = Math.min(READ_CHUNK, info.bytes - done);
      const got = await new Promise<number>((resolve, reject) => {
        read(this.fd, out, done, want, info.fileOffset + done, (err, n) => (err ? reject(err) : resolve(n)));
      });
      if (got <= 0) {
        throw new ConvertError("checkpoint_invalid", `${this.name}: tensor ${info.name} ends early (the file shrank while open?)`, this.name);
      }
      done += got;
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
