/**
 * Parses a GGUF v2/v3 header (ggml/src/gguf.cpp is the reference reader): magic, version, tensor and key/value
 * counts, the metadata, the tensor infos, `general.alignment`, the start of the data section. A hostile header is
 * refused before it costs anything: every count is bounded by what the bytes left in the file could hold, every
 * string by a limit and the file, every shape and size is overflow-checked, and every tensor must lie inside the
 * data section without overlapping another. Tensor bytes are not read here.
 */
import { ggmlType, type GgmlType } from "./ggml-types.ts";
import { GGUF_VALUE_TYPES, GgufMetadata, type GgufValue, type GgufValueType } from "./gguf-metadata.ts";
import type { HeaderCursor } from "./header-cursor.ts";

export interface GgufTensorInfo {
  name: string;
  /** ggml's dims, innermost first (ne0 = row length). */
  dims: readonly number[];
  type: GgmlType;
  elements: number;
  bytes: number;
  /** Absolute offset of the first byte in the file. */
  fileOffset: number;
}

export interface GgufHeader {
  version: number;
  metadata: GgufMetadata;
  tensors: readonly GgufTensorInfo[];
  alignment: number;
  /** Absolute offset where the data section begins. */
  dataOffset: number;
}

const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const MAX_KEY_BYTES = 1 << 16;
/** A whole tokenizer.json embedded as one string is ~10 MB; nothing legitimate comes near this. */
const MAX_STRING_BYTES = 64 << 20;
/** Far beyond any vocabulary or merge list (Gemma's 262 144 tokens). */
const MAX_ARRAY_ITEMS = 1 << 26;
/** ggml's GGML_MAX_NAME is 64 including the terminating NUL. */
const MAX_TENSOR_NAME_BYTES = 63;
const MAX_DIMS = 4;
const MAX_ALIGNMENT = 1 << 30;
/** Smallest possible encodings, to bound counts by the bytes left: a key/value (8-byte length, 1-byte key, type, u8). */
const MIN_KV_BYTES = 8 + 1 + 4 + 1;
/** A tensor info: name length, n_dims, type, offset. */
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;

const ITEM_BYTES: Partial<Record<GgufValueType, number>> = { u8: 1, i8: 1, bool: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, u64: 8, i64: 8, f64: 8, string: 8 };

export function parseGgufHeader(cursor: HeaderCursor): GgufHeader {
  if (cursor.fileSize < 4 + 4 + 8 + 8) throw cursor.fail(`truncated: ${cursor.fileSize} bytes is too short for a GGUF header`);
  const magic = cursor.u32("magic");
  if (magic !== MAGIC) throw cursor.fail("not a GGUF file (bad magic)");
  const version = cursor.u32("version");
  if ((version & 0xffff) === 0 && version !== 0) throw cursor.fail(`GGUF version ${version} looks byte-swapped: big-endian GGUF files are not supported`);
  if (version === 1) throw cursor.fail("GGUF version 1 is no longer supported; re-convert the model with a current llama.cpp");
  if (version !== 2 && version !== 3) throw cursor.fail(`unsupported GGUF version ${version} (supported: 2, 3)`);

  const tensorCount = cursor.u64("tensor count");
  const kvCount = cursor.u64("metadata count");
  if (kvCount * MIN_KV_BYTES > cursor.remaining) throw cursor.fail(`metadata count ${kvCount} cannot fit in the ${cursor.remaining} bytes left`);
  if (tensorCount * MIN_TENSOR_INFO_BYTES > cursor.remaining) throw cursor.fail(`tensor count ${tensorCount} cannot fit in the ${cursor.remaining} bytes left`);

  const entries = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = cursor.string(`metadata key ${i}`, MAX_KEY_BYTES);
    if (key.length === 0) throw cursor.fail(`metadata key ${i} is empty`);
    if (entries.has(key)) throw cursor.fail(`duplicate metadata key ${key}`);
    entries.set(key, readValue(cursor, key));
  }
  const metadata = new GgufMetadata(entries, cursor.file);

  const alignmentValue = entries.get("general.alignment");
  let alignment = 32;
  if (alignmentValue !== undefined) {
    if (alignmentValue.type !== "u32") throw cursor.fail(`general.alignment must be a u32, not ${alignmentValue.type}`);
    alignment = alignmentValue.value;
    if (alignment === 0 || (alignment & (alignment - 1)) !== 0 || alignment > MAX_ALIGNMENT) throw cursor.fail(`general.alignment ${alignment} is not a power of two`);
  }

  if (tensorCount * MIN_TENSOR_INFO_BYTES > cursor.remaining) throw cursor.fail(`tensor count ${tensorCount} cannot fit in the ${cursor.remaining} bytes left`);
  const pending: { name: string; dims: number[]; type: GgmlType; elements: number; bytes: number; offset: number }[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const name = cursor.string(`tensor ${i} name`, MAX_TENSOR_NAME_BYTES);
    if (names.has(name)) throw cursor.fail(`duplicate tensor name ${name}`);
    names.add(name);
    const nDims = cursor.u32(`tensor ${name} n_dims`);
    if (nDims > MAX_DIMS) throw cursor.fail(`tensor ${name} has ${nDims} dimensions (at most ${MAX_DIMS})`);
    const dims: number[] = [];
    let elements = 1;
    for (let d = 0; d < nDims; d++) {
      const n = cursor.u64(`tensor ${name} dim ${d}`);
      dims.push(n);
      elements *= n;
      if (elements > Number.MAX_SAFE_INTEGER) throw cursor.fail(`tensor ${name} shape [${dims.join(", ")}…] overflows`);
    }
    const typeId = cursor.u32(`tensor ${name} type`);
    const type = ggmlType(typeId);
    if (!type) throw cursor.fail(`tensor ${name} has unknown ggml type ${typeId}`);
    const rowLength = dims[0] ?? 1;
    if (rowLength % type.blockSize !== 0) throw cursor.fail(`tensor ${name} rows of ${rowLength} are not a whole number of ${type.name} blocks (${type.blockSize})`);
    const bytes = (elements / type.blockSize) * type.blockBytes;
    if (bytes > Number.MAX_SAFE_INTEGER) throw cursor.fail(`tensor ${name} size overflows`);
    const offset = cursor.u64(`tensor ${name} offset`);
    if (offset % alignment !== 0) throw cursor.fail(`tensor ${name} offset ${offset} is not a multiple of the alignment ${alignment}`);
    pending.push({ name, dims, type, elements, bytes, offset });
  }

  const dataOffset = tensorCount > 0 ? Math.ceil(cursor.offset / alignment) * alignment : cursor.offset;
  if (dataOffset > cursor.fileSize) throw cursor.fail(`truncated: the data section would start at byte ${dataOffset}, past the end (${cursor.fileSize} bytes)`);
  const dataBytes = cursor.fileSize - dataOffset;
  for (const t of pending) {
    if (t.offset + t.bytes > dataBytes) {
      throw cursor.fail(`tensor ${t.name} (${t.bytes} bytes at data offset ${t.offset}) lies past the end of the file (${dataBytes} data bytes); the file is truncated or corrupt`);
    }
  }
  const byOffset = [...pending].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1]!;
    const cur = byOffset[i]!;
    if (cur.offset < prev.offset + prev.bytes && cur.bytes > 0 && prev.bytes > 0) throw cursor.fail(`tensors ${prev.name} and ${cur.name} overlap`);
  }

  const tensors: GgufTensorInfo[] = pending.map((t) => ({
    name: t.name,
    dims: t.dims,
    type: t.type,
    elements: t.elements,
    bytes: t.bytes,
    fileOffset: dataOffset + t.offset,
  }));
  return { version, metadata, tensors, alignment, dataOffset };
}

function valueType(cursor: HeaderCursor, key: string, id: number): GgufValueType {
  const type = GGUF_VALUE_TYPES[id];
  if (type === undefined) throw cursor.fail(`metadata ${key} has unknown value type ${id}`);
  return type;
}

function readValue(cursor: HeaderCursor, key: string): GgufValue {
  const type = valueType(cursor, key, cursor.u32(`metadata ${key} type`));
  if (type !== "array") return readScalar(cursor, key, type);

  const itemType = valueType(cursor, key, cursor.u32(`metadata ${key} item type`));
  if (itemType === "array") throw cursor.fail(`metadata ${key} is an array of arrays, which GGUF readers do not accept`);
  const count = cursor.u64(`metadata ${key} item count`);
  if (count > MAX_ARRAY_ITEMS) throw cursor.fail(`metadata ${key} has ${count} items, more than the ${MAX_ARRAY_ITEMS} allowed`);
  const itemBytes = ITEM_BYTES[itemType]!;
  if (count * itemBytes > cursor.remaining) throw cursor.fail(`truncated: metadata ${key} claims ${count} items, the file has ${cursor.remaining} bytes left`);

  if (itemType === "string") {
    const values: string[] = [];
    for (let i = 0; i < count; i++) values.push(cursor.string(`metadata ${key}[${i}]`, MAX_STRING_BYTES));
    return { type: "array", itemType, value: values };
  }
  const raw = cursor.bytes(count * itemBytes, `metadata ${key}`);
  const buffer = raw.buffer;
  // GGUF is little-endian, like every host Bun runs on, so the bytes are the typed array.
  switch (itemType) {
    case "bool":
      return { type: "array", itemType, value: raw };
    case "u8":
      return { type: "array", itemType, value: raw };
    case "i8":
      return { type: "array", itemType, value: new Int8Array(buffer) };
    case "u16":
      return { type: "array", itemType, value: new Uint16Array(buffer) };
    case "i16":
      return { type: "array", itemType, value: new Int16Array(buffer) };
    case "u32":
      return { type: "array", itemType, value: new Uint32Array(buffer) };
    case "i32":
      return { type: "array", itemType, value: new Int32Array(buffer) };
    case "f32":
      return { type: "array", itemType, value: new Float32Array(buffer) };
    case "f64":
      return { type: "array", itemType, value: new Float64Array(buffer) };
    case "u64":
      return { type: "array", itemType, value: new BigUint64Array(buffer) };
    case "i64":
      return { type: "array", itemType, value: new BigInt64Array(buffer) };
  }
}

function readScalar(cursor: HeaderCursor, key: string, type: Exclude<GgufValueType, "array">): GgufValue {
  const what = `metadata ${key}`;
  switch (type) {
    case "u8":
      return { type, value: cursor.u8(what) };
    case "i8":
      return { type, value: cursor.i8(what) };
    case "u16":
      return { type, value: cursor.u16(what) };
    case "i16":
      return { type, value: cursor.i16(what) };
    case "u32":
      return { type, value: cursor.u32(what) };
    case "i32":
      return { type, value: cursor.i32(what) };
    case "f32":
      return { type, value: cursor.f32(what) };
    case "f64":
      return { type, value: cursor.f64(what) };
    case "bool": {
      const b = cursor.u8(what);
      if (b > 1) throw cursor.fail(`${what} is a bool of value ${b}`);
      return { type, value: b === 1 };
    }
    case "string":
      return { type, value: cursor.string(what, MAX_STRING_BYTES) };
    case "u64":
      return { type, value: cursor.u64Big(what) };
    case "i64":
      return { type, value: cursor.i64Big(what) };
  }
}
