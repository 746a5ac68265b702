/**
 * The central directory of a zip archive (what torch.save writes: stored entries, zip64 records when large),
 * read without any zip library: entry names and the byte range of each entry's data. Compressed or encrypted
 * entries are refused — torch never writes them, and reading them would need the whole entry in memory.
 */
import type { CheckpointFile } from "./checkpoint-file.ts";

export interface ZipEntry {
  name: string;
  /** Absolute offset of the entry's bytes in the file. */
  dataStart: number;
  size: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 65535;
const MAX_DIRECTORY_BYTES = 64 << 20;
const U32_MAX = 0xffffffff;

export async function readZipDirectory(file: CheckpointFile): Promise<Map<string, ZipEntry>> {
  if (file.size < EOCD_SIZE) throw file.invalid(`${file.size} bytes is too short for a zip archive (truncated?)`);
  const tailStart = Math.max(0, file.size - EOCD_SIZE - MAX_COMMENT);
  const tail = await file.read(tailStart, file.size - tailStart);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let at = -1;
  for (let i = tail.byteLength - EOCD_SIZE; i >= 0; i--) {
    if (view.getUint32(i, true) === EOCD_SIG) {
      at = i;
      break;
    }
  }
  if (at < 0) throw file.invalid("is not a zip archive (no end-of-central-directory record; truncated?)");
  let entries: number = view.getUint16(at + 10, true);
  let dirSize: number = view.getUint32(at + 12, true);
  let dirOffset: number = view.getUint32(at + 16, true);

  if (entries === 0xffff || dirSize === U32_MAX || dirOffset === U32_MAX) {
    const locatorAt = tailStart + at - 20;
    if (locatorAt < 0) throw file.invalid("zip64 locator is missing");
    const locator = dataView(await file.read(locatorAt, 20));
    if (locator.getUint32(0, true) !== ZIP64_LOCATOR_SIG) throw file.invalid("zip64 locator is missing");
    const recordAt = safeU64(locator, 8, file);
    if (recordAt + 56 > file.size) throw file.invalid("zip64 end record is beyond the file");
    const record = dataView(await file.read(recordAt, 56));
    if (record.getUint32(0, true) !== ZIP64_EOCD_SIG) throw file.invalid("zip64 end record is malformed");
    entries = safeU64(record, 32, file);
    dirSize = safeU64(record, 40, file);
    dirOffset = safeU64(record, 48, file);
  }
  if (dirOffset + dirSize > file.size) throw file.invalid(`central directory [${dirOffset}, ${dirOffset + dirSize}) is beyond the file (truncated?)`);
  if (dirSize > MAX_DIRECTORY_BYTES) throw file.invalid(`central directory of ${dirSize} bytes is more than a checkpoint needs`);

  const dir = await file.read(dirOffset, dirSize);
  const d = dataView(dir);
  const out = new Map<string, ZipEntry>();
  const decoder = new TextDecoder("utf-8", { fatal: false });
  let p = 0;
  for (let n = 0; n < entries; n++) {
    if (p + 46 > dirSize || d.getUint32(p, true) !== CENTRAL_SIG) throw file.invalid(`central directory entry ${n} is malformed`);
    const flags = d.getUint16(p + 8, true);
    const method = d.getUint16(p + 10, true);
    let compressed: number = d.getUint32(p + 20, true);
    let size: number = d.getUint32(p + 24, true);
    const nameLength = d.getUint16(p + 28, true);
    const extraLength = d.getUint16(p + 30, true);
    const commentLength = d.getUint16(p + 32, true);
    let localAt: number = d.getUint32(p + 42, true);
    const end = p + 46 + nameLength + extraLength + commentLength;
    if (end > dirSize) throw file.invalid(`central directory entry ${n} runs past the directory`);
    const name = decoder.decode(dir.subarray(p + 46, p + 46 + nameLength));

    // zip64 extended information: the 64-bit values of the fields that hold 0xFFFFFFFF, in this order.
    for (let e = p + 46 + nameLength; e + 4 <= p + 46 + nameLength + extraLength; ) {
      const id = d.getUint16(e, true);
      const length = d.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        const next = () => {
          if (q + 8 > e + 4 + length) throw file.invalid(`entry ${name}: zip64 field is short`);
          const v = safeU64(d, q, file);
          q += 8;
          return v;
        };
        if (size === U32_MAX) size = next();
        if (compressed === U32_MAX) compressed = next();
        if (localAt === U32_MAX) localAt = next();
      }
      e += 4 + length;
    }
    p = end;

    if (flags & 1) throw file.invalid(`entry ${name} is encrypted`);
    if (method !== 0 || compressed !== size) throw file.invalid(`entry ${name} is compressed (method ${method}); torch.save writes stored entries only`);
    if (localAt + 30 > dirOffset) throw file.invalid(`entry ${name}: local header is beyond the data area`);
    const local = dataView(await file.read(localAt, 30));
    if (local.getUint32(0, true) !== LOCAL_SIG) throw file.invalid(`entry ${name}: local header is malformed`);
    const dataStart = localAt + 30 + local.getUint16(26, true) + local.getUint16(28, true);
    if (dataStart + size > dirOffset) throw file.invalid(`entry ${name}: its ${size} bytes at ${dataStart} run past the data area (truncated?)`);
    if (out.has(name)) throw file.invalid(`entry ${name} appears twice`);
    out.set(name, { name, dataStart, size });
  }
  return out;
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function safeU64(view: DataView, at: number, file: CheckpointFile): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw file.invalid(`zip field value ${v} is out of range`);
  return Number(v);
}
