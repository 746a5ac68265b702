/**
 * A minimal zip writer for torch-style archives: stored (uncompressed) entries whose data start on 64-byte
 * boundaries (torch pads the local header's extra field, id "FB", for that), with CRC-32s, no zip64.
 */

export interface ZipInput {
  name: string;
  data: Uint8Array;
}

const ALIGN = 64;

export function zipStored(entries: readonly ZipInput[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    const crc = Bun.hash.crc32(e.data) >>> 0;
    const unpadded = offset + 30 + name.byteLength + 4;
    const pad = (ALIGN - (unpadded % ALIGN)) % ALIGN;
    const extra = new Uint8Array(4 + pad);
    const ev = new DataView(extra.buffer);
    ev.setUint16(0, 0x4246, true); // "FB"
    ev.setUint16(2, pad, true);

    const local = new Uint8Array(30);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true); // version needed
    lv.setUint16(8, 0, true); // stored
    lv.setUint32(14, crc, true);
    lv.setUint32(18, e.data.byteLength, true);
    lv.setUint32(22, e.data.byteLength, true);
    lv.setUint16(26, name.byteLength, true);
    lv.setUint16(28, extra.byteLength, true);
    parts.push(local, name, extra, e.data);

    const c = new Uint8Array(46);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, e.data.byteLength, true);
    cv.setUint32(24, e.data.byteLength, true);
    cv.setUint16(28, name.byteLength, true);
    cv.setUint32(42, offset, true);
    central.push(c, name);
    offset += 30 + name.byteLength + extra.byteLength + e.data.byteLength;
  }
  const dirSize = central.reduce((n, c) => n + c.byteLength, 0);
  const end = new Uint8Array(22);
  const dv = new DataView(end.buffer);
  dv.setUint32(0, 0x06054b50, true);
  dv.setUint16(8, entries.length, true);
  dv.setUint16(10, entries.length, true);
  dv.setUint32(12, dirSize, true);
  dv.setUint32(16, offset, true);
  return Buffer.concat([...parts, ...central, end]);
}
