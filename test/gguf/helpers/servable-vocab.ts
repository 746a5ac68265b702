/**
 * The vocab-only tokenizer fixtures (tokenizers/*.gguf, recorded with llama-tokenize) made servable: their
 * metadata entries copied byte for byte, plus a tiny llama's architecture keys and constant weights sized to the
 * vocabulary, so the server loads them as models and /tokenize can be compared with the recorded ids.
 */
import { readFileSync } from "node:fs";
import { GgufBytes } from "./gguf-write.ts";

interface RawEntry {
  key: string;
  bytes: Uint8Array;
}

/** Every metadata entry of a GGUF file as its raw bytes (key, type and value). */
function metadataEntries(bytes: Uint8Array): RawEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = Number(view.getBigUint64(16, true));
  let at = 24;
  const u64 = () => ((at += 8), Number(view.getBigUint64(at - 8, true)));
  const skipString = () => {
    const length = u64(); // read before `at` is: u64 moves it
    at += length;
  };
  const SIZES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  const skipValue = (type: number) => {
    if (type === 8) skipString();
    else at += SIZES[type]!;
  };
  const entries: RawEntry[] = [];
  for (let i = 0; i < count; i++) {
    const start = at;
    const keyLength = u64();
    const key = new TextDecoder().decode(bytes.subarray(at, at + keyLength));
    at += keyLength;
    const type = view.getUint32(at, true);
    at += 4;
    if (type === 9) {
      const item = view.getUint32(at, true);
      at += 4;
      const n = u64();
      for (let j = 0; j < n; j++) skipValue(item);
    } else skipValue(type);
    entries.push({ key, bytes: bytes.subarray(start, at) });
  }
  return entries;
}

export function servableVocabGguf(path: string, vocabSize: number): Uint8Array {
  const E = 32;
  const entries = metadataEntries(new Uint8Array(readFileSync(path))).filter((e) => e.key !== "general.architecture" && !e.key.startsWith("llama."));
  const arch: [string, "string" | "u32" | "f32", string | number][] = [
    ["general.architecture", "string", "llama"],
    ["llama.block_count", "u32", 1],
    ["llama.context_length", "u32", 256],
    ["llama.embedding_length", "u32", E],
    ["llama.feed_forward_length", "u32", 32],
    ["llama.attention.head_count", "u32", 2],
    ["llama.attention.head_count_kv", "u32", 1],
    ["llama.attention.layer_norm_rms_epsilon", "f32", 1e-5],
    ["llama.rope.freq_base", "f32", 10000],
  ];
  const tensors: [string, number[]][] = [
    ["token_embd.weight", [E, vocabSize]],
    ["output_norm.weight", [E]],
    ["blk.0.attn_norm.weight", [E]],
    ["blk.0.attn_q.weight", [E, 32]],
    ["blk.0.attn_k.weight", [E, 16]],
    ["blk.0.attn_v.weight", [E, 16]],
    ["blk.0.attn_output.weight", [32, E]],
    ["blk.0.ffn_norm.weight", [E]],
    ["blk.0.ffn_gate.weight", [E, 32]],
    ["blk.0.ffn_up.weight", [E, 32]],
    ["blk.0.ffn_down.weight", [32, E]],
  ];
  const w = new GgufBytes().header(tensors.length, entries.length + arch.length);
  for (const e of entries) w.raw(e.bytes);
  for (const [key, type, value] of arch) {
    if (type === "string") w.kvString(key, value as string);
    else if (type === "u32") w.kvU32(key, value as number);
    else w.kvF32(key, value as number);
  }
  let offset = 0;
  const blobs: Uint8Array[] = [];
  for (const [name, dims] of tensors) {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.01);
    w.tensorInfo(name, dims, 0, offset);
    blobs.push(new Uint8Array(data.buffer));
    offset += Math.ceil(data.byteLength / 32) * 32;
  }
  w.pad();
  for (const b of blobs) w.raw(b).pad();
  return w.bytes();
}
