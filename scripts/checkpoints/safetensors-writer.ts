/**
 * Writes safetensors files as the `safetensors` library does: an 8-byte little-endian header length, a JSON header
 * padded with spaces to a multiple of 8, then the tensors back to back; and sharded checkpoints with their
 * `model.safetensors.index.json`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { storedBytes, type StoredTensor } from "./stored-tensor.ts";

export function writeSafetensors(file: string, tensors: readonly StoredTensor[]): void {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let offset = 0;
  const blobs: Uint8Array[] = [];
  for (const t of tensors) {
    const bytes = storedBytes(t);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    blobs.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(Buffer.byteLength(json)), true);
  fs.writeFileSync(file, Buffer.concat([length, Buffer.from(json), ...blobs]));
}

/** `model-0000k-of-0000n.safetensors` shards of about equal size, and the index naming each tensor's shard. */
export function writeShardedSafetensors(dir: string, tensors: readonly StoredTensor[], shards: number): string[] {
  const total = tensors.reduce((n, t) => n + storedBytes(t).byteLength, 0);
  const groups: StoredTensor[][] = Array.from({ length: shards }, () => []);
  let done = 0;
  for (const t of tensors) {
    groups[Math.min(shards - 1, Math.floor((done / total) * shards))]!.push(t);
    done += storedBytes(t).byteLength;
  }
  const names = groups.map((_, i) => `model-${String(i + 1).padStart(5, "0")}-of-${String(shards).padStart(5, "0")}.safetensors`);
  const weightMap: Record<string, string> = {};
  groups.forEach((g, i) => {
    writeSafetensors(path.join(dir, names[i]!), g);
    for (const t of g) weightMap[t.name] = names[i]!;
  });
  const index = { metadata: { total_size: total }, weight_map: weightMap };
  fs.writeFileSync(path.join(dir, "model.safetensors.index.json"), `${JSON.stringify(index, null, 2)}\n`);
  return names;
}

export interface StreamedTensor {
  name: string;
  shape: readonly number[];
  dtype: "F32" | "F16" | "BF16";
  /** The tensor's stored bytes, made when it is written (one tensor in memory at a time). */
  bytes(): Uint8Array;
}

/** A safetensors file written tensor by tensor, for checkpoints too large to hold (the 1B-parameter benchmark). */
export function writeSafetensorsStreaming(file: string, tensors: readonly StreamedTensor[]): number {
  const size = { F32: 4, F16: 2, BF16: 2 } as const;
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let offset = 0;
  for (const t of tensors) {
    const length = t.shape.reduce((a, b) => a * b, 1) * size[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + length] };
    offset += length;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const fd = fs.openSync(file, "w");
  try {
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    fs.writeSync(fd, length);
    fs.writeSync(fd, json);
    for (const t of tensors) {
      const bytes = t.bytes();
      for (let done = 0; done < bytes.byteLength; ) done += fs.writeSync(fd, bytes, done, bytes.byteLength - done);
    }
  } finally {
    fs.closeSync(fd);
  }
  return offset;
}
