/**
 * A minimal protobuf wire-format encoder: just what ONNX needs (varints, fixed32, length-delimited fields).
 *
 * Large byte arrays (tensor raw_data) are kept by reference, never copied, so a 500 MB model is encoded
 * as a list of chunks that can be streamed straight to disk.
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** Byte arrays at least this long are kept by reference instead of being copied into the scratch buffer. */
const BY_REFERENCE_THRESHOLD = 4096;

const textEncoder = new TextEncoder();

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private flushedLength = 0;
  private buf = new Uint8Array(256);
  private pos = 0;

  /** Total encoded length in bytes. */
  get byteLength(): number {
    return this.flushedLength + this.pos;
  }

  /** Unsigned or signed 64-bit integer field (int64/int32/enum/bool): negative values use 10-byte two's complement. */
  int64(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  float32(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).setFloat32(0, value, true);
    this.pos += 4;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(data.byteLength);
    this.append(data);
    return this;
  }

  /** Embedded message: the nested writer's chunks are appended, not copied. */
  message(field: number, nested: ProtoWriter): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(nested.byteLength);
    for (const chunk of nested.finish()) this.append(chunk);
    return this;
  }

  /** The encoded bytes as chunks in order; concatenated they form the message. */
  finish(): Uint8Array[] {
    this.flush();
    return this.chunks;
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  private varint(value: number | bigint): void {
    this.ensure(10);
    if (typeof value === "number" && value >= 0 && Number.isSafeInteger(value)) {
      let v = value;
      while (v >= 0x80) {
        this.buf[this.pos++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      this.buf[this.pos++] = v;
      return;
    }
    if (typeof value === "number" && !Number.isInteger(value)) throw new Error(`varint: not an integer: ${value}`);
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  private append(data: Uint8Array): void {
    if (data.byteLength >= BY_REFERENCE_THRESHOLD) {
      this.flush();
      this.chunks.push(data);
      this.flushedLength += data.byteLength;
      return;
    }
    this.ensure(data.byteLength);
    this.buf.set(data, this.pos);
    this.pos += data.byteLength;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + extra));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.flushedLength += this.pos;
    this.buf = new Uint8Array(256);
    this.pos = 0;
  }
}
