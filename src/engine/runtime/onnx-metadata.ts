/**
 * A model file's metadata_props (ModelProto field 14), read without loading the model: onnxruntime-node does not
 * expose them, and the engine picks a graph's runtime by them (gpt3dev.kv_layout). Only the top-level fields are
 * walked; the graph (field 7, possibly hundreds of MB of inline weights) is skipped by its length.
 */
import { openSync, readSync, closeSync, fstatSync } from "node:fs";

const METADATA_PROPS = 14;
const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

export function readOnnxMetadata(file: string): Map<string, string> {
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const out = new Map<string, string>();
    const small = new Uint8Array(10);
    let pos = 0;
    const varint = (): number => {
      const n = readSync(fd, small, 0, 10, pos);
      let value = 0;
      let scale = 1;
      for (let i = 0; i < n; i++) {
        const byte = small[i]!;
        value += (byte & 0x7f) * scale;
        scale *= 128;
        if (byte < 0x80) {
          pos += i + 1;
          return value;
        }
      }
      throw new Error(`${file}: not an ONNX model (bad varint at byte ${pos})`);
    };
    while (pos < size) {
      const key = varint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (wire === WIRE_VARINT) varint();
      else if (wire === WIRE_I64) pos += 8;
      else if (wire === WIRE_I32) pos += 4;
      else if (wire === WIRE_LEN) {
        const len = varint();
        if (pos + len > size) throw new Error(`${file}: not an ONNX model (field ${field} runs past the end)`);
        if (field === METADATA_PROPS) {
          const entry = new Uint8Array(len);
          readSync(fd, entry, 0, len, pos);
          const [k, v] = stringPair(entry);
          out.set(k, v);
        }
        pos += len;
      } else throw new Error(`${file}: not an ONNX model (wire type ${wire} at byte ${pos})`);
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** StringStringEntryProto: key = 1, value = 2. */
function stringPair(bytes: Uint8Array): [string, string] {
  const text = new TextDecoder();
  let key = "";
  let value = "";
  let pos = 0;
  while (pos < bytes.length) {
    const tag = bytes[pos++]!;
    let len = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[pos++]!;
      len += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) break;
    }
    const s = text.decode(bytes.subarray(pos, pos + len));
    if (tag >> 3 === 1) key = s;
    else if (tag >> 3 === 2) value = s;
    pos += len;
  }
  return [key, value];
}
