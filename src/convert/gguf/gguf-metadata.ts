/**
 * A GGUF file's key/value metadata, with typed getters that name the file and key when a value is missing or of
 * the wrong kind. Integers of every width read as numbers (64-bit ones only when they fit exactly); numeric arrays
 * stay typed arrays, so a 150 000-entry `tokenizer.ggml.scores` costs 600 KB, not a JS array of boxed numbers.
 */
import { ConvertError } from "../convert-error.ts";

/** GGUF value types (gguf.h `gguf_type`), by wire id. */
export const GGUF_VALUE_TYPES = ["u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"] as const;
export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];

export type GgufNumericArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array | BigUint64Array | BigInt64Array;

export type GgufValue =
  | { type: "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "f32" | "f64"; value: number }
  | { type: "u64" | "i64"; value: bigint }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "array"; itemType: "string"; value: readonly string[] }
  | { type: "array"; itemType: "bool"; value: Uint8Array }
  | { type: "array"; itemType: Exclude<GgufValueType, "string" | "bool" | "array">; value: GgufNumericArray };

export class GgufMetadata {
  constructor(
    readonly entries: ReadonlyMap<string, GgufValue>,
    /** Base name of the file the metadata came from, for messages. */
    readonly file: string,
  ) {}

  has(key: string): boolean {
    return this.entries.has(key);
  }

  private invalid(key: string, want: string, got: GgufValue | undefined): ConvertError {
    const what = got === undefined ? "is missing" : `is ${got.type === "array" ? `an array of ${got.itemType}` : `of type ${got.type}`}`;
    return new ConvertError("checkpoint_invalid", `${this.file}: metadata ${key} ${what}, expected ${want}`, this.file);
  }

  string(key: string): string | undefined {
    const v = this.entries.get(key);
    if (v === undefined) return undefined;
    if (v.type !== "string") throw this.invalid(key, "a string", v);
    return v.value;
  }

  requireString(key: string): string {
    const v = this.string(key);
    if (v === undefined) throw this.invalid(key, "a string", undefined);
    return v;
  }

  /** Any integer or float scalar, as a number; a 64-bit integer beyond 2^53 is refused rather than rounded. */
  number(key: string): number | undefined {
    const v = this.entries.get(key);
    if (v === undefined) return undefined;
    if (v.type === "u64" || v.type === "i64") {
      if (v.value > BigInt(Number.MAX_SAFE_INTEGER) || v.value < BigInt(Number.MIN_SAFE_INTEGER)) throw this.invalid(key, "a number below 2^53", v);
      return Number(v.value);
    }
    if (v.type === "u8" || v.type === "i8" || v.type === "u16" || v.type === "i16" || v.type === "u32" || v.type === "i32" || v.type === "f32" || v.type === "f64") {
      return v.value;
    }
    throw this.invalid(key, "a number", v);
  }

  requireNumber(key: string): number {
    const v = this.number(key);
    if (v === undefined) throw this.invalid(key, "a number", undefined);
    return v;
  }

  /** A non-negative integer (counts, sizes, token ids). */
  count(key: string): number | undefined {
    const v = this.number(key);
    if (v === undefined) return undefined;
    if (!Number.isInteger(v) || v < 0) throw this.invalid(key, "a non-negative integer", this.entries.get(key));
    return v;
  }

  requireCount(key: string): number {
    const v = this.count(key);
    if (v === undefined) throw this.invalid(key, "a non-negative integer", undefined);
    return v;
  }

  bool(key: string): boolean | undefined {
    const v = this.entries.get(key);
    if (v === undefined) return undefined;
    if (v.type !== "bool") throw this.invalid(key, "a bool", v);
    return v.value;
  }

  stringArray(key: string): readonly string[] | undefined {
    const v = this.entries.get(key);
    if (v === undefined) return undefined;
    if (v.type !== "array" || v.itemType !== "string") throw this.invalid(key, "an array of strings", v);
    return v.value;
  }

  /** A numeric array as float64 values (int64 items beyond 2^53 refused). */
  numberArray(key: string): ArrayLike<number> | undefined {
    const v = this.entries.get(key);
    if (v === undefined) return undefined;
    if (v.type !== "array" || v.itemType === "string") throw this.invalid(key, "an array of numbers", v);
    const values = v.value;
    if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
      const out = new Float64Array(values.length);
      for (let i = 0; i < values.length; i++) {
        const x = values[i]!;
        if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < BigInt(Number.MIN_SAFE_INTEGER)) throw this.invalid(key, "numbers below 2^53", v);
        out[i] = Number(x);
      }
      return out;
    }
    return values;
  }

  /** A per-layer value: a scalar for every layer, or an array of `layers` values (llama.cpp's get_key_or_arr). */
  perLayer(key: string, layers: number): number[] | undefined {
    const v = this.entries.get(key);
    if (v === undefined) return undefined;
    if (v.type === "array") {
      const values = this.numberArray(key)!;
      if (values.length !== layers) throw this.invalid(key, `${layers} values (one per layer)`, v);
      return Array.from(values);
    }
    const n = this.requireNumber(key);
    return new Array<number>(layers).fill(n);
  }
}
