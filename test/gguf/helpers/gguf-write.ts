/**
 * A byte-level GGUF writer for tests: every field can be written wrong on purpose (hostile counts, lengths,
 * offsets), and a small well-formed llama model can be built with any metadata or tensors changed.
 */
export class GgufBytes {
  private parts: Uint8Array[] = [];
  private size = 0;

  raw(bytes: Uint8Array | number[]): this {
    const b = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    this.parts.push(b);
    this.size += b.length;
    return this;
  }

  u32(n: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, true);
    return this.raw(b);
  }

  u64(n: number | bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
    return this.raw(b);
  }

  f32(x: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, x, true);
    return this.raw(b);
  }

  /** A string with its true length, or with `claimed` written as the length. */
  str(s: string, claimed?: number | bigint): this {
    const bytes = new TextEncoder().encode(s);
    return this.u64(claimed ?? bytes.length).raw(bytes);
  }

  header(tensors: number | bigint, kvs: number | bigint, version = 3): this {
    return this.raw(new TextEncoder().encode("GGUF")).u32(version).u64(tensors).u64(kvs);
  }

  kvString(key: string, value: string): this {
    return this.str(key).u32(8).str(value);
  }

  kvU32(key: string, value: number): this {
    return this.str(key).u32(4).u32(value);
  }

  kvF32(key: string, value: number): this {
    return this.str(key).u32(6).f32(value);
  }

  kvBool(key: string, value: boolean): this {
    return this.str(key).u32(7).raw([value ? 1 : 0]);
  }

  kvStrings(key: string, values: string[]): this {
    this.str(key).u32(9).u32(8).u64(values.length);
    for (const v of values) this.str(v);
    return this;
  }

  kvI32s(key: string, values: number[]): this {
    this.str(key).u32(9).u32(5).u64(values.length);
    for (const v of values) this.u32(v >>> 0);
    return this;
  }

  tensorInfo(name: string, dims: (number | bigint)[], type: number, offset: number | bigint): this {
    this.str(name).u32(dims.length);
    for (const d of dims) this.u64(d);
    return this.u32(type).u64(offset);
  }

  /** Zero bytes up to the next multiple of `alignment`. */
  pad(alignment = 32): this {
    const n = (alignment - (this.size % alignment)) % alignment;
    return this.raw(new Uint8Array(n));
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

export type TinyKv = ["string", string] | ["u32", number] | ["f32", number] | ["bool", boolean] | ["strings", string[]] | ["i32s", number[]];

export interface TinyTensor {
  name: string;
  /** ggml dims, innermost first. */
  dims: number[];
  /** F32 values (or raw bytes for another type). */
  data: Float32Array | Uint8Array;
  type?: number;
}

/** A well-formed 1-layer llama (hidden 32, 2 heads of 16, 1 kv head, ffn 32, vocab 8), with changes applied. */
export function tinyLlama(opts: { kv?: Record<string, TinyKv | null>; tensors?: Record<string, TinyTensor | null> } = {}): Uint8Array {
  const E = 32;
  const V = 8;
  const kv: Record<string, TinyKv | null> = {
    "general.architecture": ["string", "llama"],
    "llama.block_count": ["u32", 1],
    "llama.context_length": ["u32", 64],
    "llama.embedding_length": ["u32", E],
    "llama.feed_forward_length": ["u32", 32],
    "llama.attention.head_count": ["u32", 2],
    "llama.attention.head_count_kv": ["u32", 1],
    "llama.attention.layer_norm_rms_epsilon": ["f32", 1e-5],
    "llama.rope.freq_base": ["f32", 10000],
    "tokenizer.ggml.model": ["string", "gpt2"],
    "tokenizer.ggml.tokens": ["strings", ["a", "b", "c", "d", "ab", "cd", "<s>", "</s>"]],
    "tokenizer.ggml.token_type": ["i32s", [1, 1, 1, 1, 1, 1, 3, 3]],
    "tokenizer.ggml.merges": ["strings", ["a b", "c d"]],
    ...opts.kv,
  };
  const f32 = (dims: number[]) => ({ dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.01) });
  const tensors: Record<string, TinyTensor | null> = {
    "token_embd.weight": { name: "token_embd.weight", ...f32([E, V]) },
    "output_norm.weight": { name: "output_norm.weight", ...f32([E]) },
    "blk.0.attn_norm.weight": { name: "blk.0.attn_norm.weight", ...f32([E]) },
    "blk.0.attn_q.weight": { name: "blk.0.attn_q.weight", ...f32([E, 32]) },
    "blk.0.attn_k.weight": { name: "blk.0.attn_k.weight", ...f32([E, 16]) },
    "blk.0.attn_v.weight": { name: "blk.0.attn_v.weight", ...f32([E, 16]) },
    "blk.0.attn_output.weight": { name: "blk.0.attn_output.weight", ...f32([32, E]) },
    "blk.0.ffn_norm.weight": { name: "blk.0.ffn_norm.weight", ...f32([E]) },
    "blk.0.ffn_gate.weight": { name: "blk.0.ffn_gate.weight", ...f32([E, 32]) },
    "blk.0.ffn_up.weight": { name: "blk.0.ffn_up.weight", ...f32([E, 32]) },
    "blk.0.ffn_down.weight": { name: "blk.0.ffn_down.weight", ...f32([32, E]) },
    ...opts.tensors,
  };
  const kvs = Object.entries(kv).filter((e): e is [string, TinyKv] => e[1] !== null);
  const ts = Object.values(tensors).filter((t): t is TinyTensor => t !== null);
  const w = new GgufBytes().header(ts.length, kvs.length);
  for (const [key, [type, value]] of kvs) {
    if (type === "string") w.kvString(key, value as string);
    else if (type === "u32") w.kvU32(key, value as number);
    else if (type === "f32") w.kvF32(key, value as number);
    else if (type === "bool") w.kvBool(key, value as boolean);
    else if (type === "strings") w.kvStrings(key, value as string[]);
    else w.kvI32s(key, value as number[]);
  }
  let offset = 0;
  const blobs: Uint8Array[] = [];
  for (const t of ts) {
    const bytes = t.data instanceof Float32Array ? new Uint8Array(t.data.buffer) : t.data;
    w.tensorInfo(t.name, t.dims, t.type ?? 0, offset);
    blobs.push(bytes);
    offset += Math.ceil(bytes.length / 32) * 32;
  }
  w.pad();
  for (const b of blobs) w.raw(b).pad();
  return w.bytes();
}
