/**
 * Parses and checks a safetensors header: 8-byte little-endian length N, N bytes of UTF-8 JSON (possibly padded
 * with spaces), then the data. Every entry's dtype, shape and data_offsets are checked against each other and the
 * file before anything is read, so a hostile header costs at most its own bytes.
 */
import { ConvertError } from "../convert-error.ts";
import type { TensorInfo } from "../tensor-source.ts";
import { ELEMENT_SIZE } from "./stored-dtype.ts";

/** safetensors itself refuses headers above 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;
const MAX_NAME_LENGTH = 1024;
const MAX_RANK = 8;

export interface SafetensorsEntry extends TensorInfo {
  /** Absolute byte range in the file. */
  start: number;
  end: number;
}

/** The header length from the first 8 bytes, checked against the file size. */
export function headerLength(first8: Uint8Array, fileSize: number, file: string): number {
  const invalid = (p: string) => new ConvertError("checkpoint_invalid", `${file}: ${p}`, file);
  if (fileSize < 8) throw invalid(`${fileSize} bytes is too short for a safetensors file (truncated?)`);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n < 2n) throw invalid(`header length ${n} is too small`);
  if (n > BigInt(fileSize - 8)) throw invalid(`header length ${n} is beyond the file (${fileSize} bytes; truncated?)`);
  if (n > BigInt(MAX_HEADER_BYTES)) throw invalid(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  return Number(n);
}

export function parseSafetensorsHeader(header: Uint8Array, fileSize: number, file: string): Map<string, SafetensorsEntry> {
  const invalid = (p: string) => new ConvertError("checkpoint_invalid", `${file}: ${p}`, file);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(header);
  } catch {
    throw invalid("header is not UTF-8");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalid(`header is not valid JSON (${(err as Error).message})`);
  }
  if (!isRecord(json)) throw invalid("header is not a JSON object");

  const dataStart = 8 + header.byteLength;
  const dataLength = fileSize - dataStart;
  const entries = new Map<string, SafetensorsEntry>();
  for (const [name, value] of Object.entries(json)) {
    if (name === "__metadata__") {
      if (value !== null && !isRecord(value)) throw invalid("__metadata__ is not an object");
      continue;
    }
    if (name.length === 0 || name.length > MAX_NAME_LENGTH || name.includes("\0")) throw invalid(`tensor name ${JSON.stringify(name.slice(0, 80))} is not a valid name`);
    const what = `tensor ${name}`;
    if (!isRecord(value)) throw invalid(`${what}: entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = value;
    if (typeof dtype !== "string") throw invalid(`${what}: dtype is missing`);
    const size = ELEMENT_SIZE[dtype];
    if (size === undefined) {
      throw new ConvertError("unsupported_tensor_type", `${file}: ${what} has unknown dtype ${JSON.stringify(dtype.slice(0, 40))}`, file);
    }
    if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every(isCount)) throw invalid(`${what}: shape ${JSON.stringify(shape)} is not a list of sizes`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) throw invalid(`${what}: data_offsets ${JSON.stringify(offsets)} is not [begin, end]`);
    const [begin, end] = offsets as [number, number];
    if (begin > end) throw invalid(`${what}: data_offsets [${begin}, ${end}] run backwards`);
    if (end > dataLength) throw invalid(`${what}: data_offsets [${begin}, ${end}] are beyond the file's ${dataLength} data bytes (truncated?)`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(count * size) || count * size !== end - begin) {
      throw invalid(`${what}: shape [${shape.join(", ")}] of ${dtype} needs ${count * size} bytes, data_offsets give ${end - begin}`);
    }
    entries.set(name, { name, shape: shape as number[], dtype, file, start: dataStart + begin, end: dataStart + end });
  }

  const sorted = [...entries.values()].filter((e) => e.end > e.start).sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const [prev, cur] = [sorted[i - 1]!, sorted[i]!];
    if (cur.start < prev.end) throw invalid(`tensors ${prev.name} and ${cur.name} overlap`);
  }
  return entries;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
