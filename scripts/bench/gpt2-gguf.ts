/**
 * A GPT-2 checkpoint folder (config.json, safetensors, tokenizer.json) written as an F32 GGUF file llama.cpp loads
 * (architecture gpt2, byte-level BPE tokenizer), so `bun run bench --llama-server` compares the two servers on
 * exactly the same weights; llama-quantize (beside llama-server) makes the Q8_0 and Q4_0 files from it. The weights
 * are read with the converter's own reader: logical [out, in] weights are ggml's row layout already.
 *
 * Layout (llama.cpp's gpt2 model): token_embd {E, V}, position_embd {E, ctx}, blk.N.attn_norm, attn_qkv {E, 3E}
 * (q, k, v rows stacked), attn_output {E, E}, ffn_norm, ffn_up {E, 4E}, ffn_down {4E, E} (+ biases),
 * output_norm; the head is tied to token_embd unless the checkpoint has its own (output).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { W } from "../../src/convert/decoder-architecture.ts";
import { openCheckpoint } from "../../src/convert/open-checkpoint.ts";

const ALIGN = 32;
const T_U32 = 4;
const T_I32 = 5;
const T_F32 = 6;
const T_STRING = 8;
const T_ARRAY = 9;
const GGML_F32 = 0;

class Bytes {
  private chunks: Uint8Array[] = [];
  size = 0;
  private push(b: Uint8Array) {
    this.chunks.push(b);
    this.size += b.length;
  }
  u32(v: number) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    this.push(b);
  }
  i32(v: number) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    this.push(b);
  }
  u64(v: number) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    this.push(b);
  }
  f32(v: number) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
  }
  str(s: string) {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.push(b);
  }
  raw(b: Uint8Array) {
    this.push(b);
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) (out.set(c, at), (at += c.length));
    return out;
  }
}

type Kv = [string, "u32", number] | [string, "f32", number] | [string, "str", string] | [string, "strs", string[]] | [string, "i32s", number[]];

export async function writeGpt2Gguf(checkpointDir: string, out: string): Promise<void> {
  const c = await openCheckpoint(checkpointDir);
  try {
    const a = c.architecture;
    if (a.name !== "gpt2") throw new Error(`${checkpointDir}: a GGUF for llama-server is written for GPT-2 checkpoints only (this is ${a.name})`);
    const tok = JSON.parse(fs.readFileSync(path.join(checkpointDir, "tokenizer.json"), "utf8")) as {
      model: { vocab: Record<string, number>; merges: (string | [string, string])[] };
      added_tokens?: { id: number; content: string; special?: boolean }[];
    };
    const tokens: string[] = new Array(a.vocabSize).fill("");
    for (const [t, id] of Object.entries(tok.model.vocab)) if (id < a.vocabSize) tokens[id] = t;
    const types = new Array<number>(a.vocabSize).fill(1);
    for (const t of tok.added_tokens ?? []) if (t.id < a.vocabSize) (tokens[t.id] = t.content), (types[t.id] = t.special ? 3 : 4);
    const merges = tok.model.merges.map((m) => (Array.isArray(m) ? m.join(" ") : m));
    const eos = a.eosTokenIds[0] ?? 50256;
    const kvs: Kv[] = [
      ["general.architecture", "str", "gpt2"],
      ["general.name", "str", path.basename(checkpointDir)],
      ["general.file_type", "u32", 0],
      ["gpt2.context_length", "u32", a.maxPositions],
      ["gpt2.embedding_length", "u32", a.hiddenSize],
      ["gpt2.feed_forward_length", "u32", a.intermediateSize],
      ["gpt2.block_count", "u32", a.layers],
      ["gpt2.attention.head_count", "u32", a.heads],
      ["gpt2.attention.layer_norm_epsilon", "f32", a.norm.eps],
      ["tokenizer.ggml.model", "str", "gpt2"],
      ["tokenizer.ggml.pre", "str", "gpt-2"],
      ["tokenizer.ggml.tokens", "strs", tokens],
      ["tokenizer.ggml.token_type", "i32s", types],
      ["tokenizer.ggml.merges", "strs", merges],
      ["tokenizer.ggml.bos_token_id", "u32", a.bosTokenId ?? eos],
      ["tokenizer.ggml.eos_token_id", "u32", eos],
    ];
    // name, ggml dims (innermost first), the logical weights whose rows it stacks
    const tensors: [string, number[], string[]][] = [
      ["token_embd.weight", [a.hiddenSize, a.vocabSize], [W.tokenEmbedding]],
      ["position_embd.weight", [a.hiddenSize, a.maxPositions], [W.positionEmbedding]],
    ];
    const E = a.hiddenSize;
    for (let i = 0; i < a.layers; i++) {
      const b = `blk.${i}`;
      tensors.push(
        [`${b}.attn_norm.weight`, [E], [W.attnNorm(i, "weight")]],
        [`${b}.attn_norm.bias`, [E], [W.attnNorm(i, "bias")]],
        [`${b}.attn_qkv.weight`, [E, 3 * E], [W.q(i, "weight"), W.k(i, "weight"), W.v(i, "weight")]],
        [`${b}.attn_qkv.bias`, [3 * E], [W.q(i, "bias"), W.k(i, "bias"), W.v(i, "bias")]],
        [`${b}.attn_output.weight`, [E, E], [W.o(i, "weight")]],
        [`${b}.attn_output.bias`, [E], [W.o(i, "bias")]],
        [`${b}.ffn_norm.weight`, [E], [W.mlpNorm(i, "weight")]],
        [`${b}.ffn_norm.bias`, [E], [W.mlpNorm(i, "bias")]],
        [`${b}.ffn_up.weight`, [E, a.intermediateSize], [W.up(i, "weight")]],
        [`${b}.ffn_up.bias`, [a.intermediateSize], [W.up(i, "bias")]],
        [`${b}.ffn_down.weight`, [a.intermediateSize, E], [W.down(i, "weight")]],
        [`${b}.ffn_down.bias`, [E], [W.down(i, "bias")]],
      );
    }
    tensors.push(["output_norm.weight", [E], [W.finalNorm("weight")]], ["output_norm.bias", [E], [W.finalNorm("bias")]]);
    if (!a.tiedEmbeddings) tensors.push(["output.weight", [E, a.vocabSize], [W.lmHead]]);

    const head = new Bytes();
    head.raw(new TextEncoder().encode("GGUF"));
    head.u32(3);
    head.u64(tensors.length);
    head.u64(kvs.length);
    for (const [key, type, value] of kvs) {
      head.str(key);
      if (type === "u32") (head.u32(T_U32), head.u32(value));
      else if (type === "f32") (head.u32(T_F32), head.f32(value));
      else if (type === "str") (head.u32(T_STRING), head.str(value));
      else if (type === "strs") {
        head.u32(T_ARRAY);
        head.u32(T_STRING);
        head.u64(value.length);
        for (const s of value) head.str(s);
      } else {
        head.u32(T_ARRAY);
        head.u32(T_I32);
        head.u64(value.length);
        for (const v of value) head.i32(v);
      }
    }
    let offset = 0;
    for (const [name, dims] of tensors) {
      head.str(name);
      head.u32(dims.length);
      for (const d of dims) head.u64(d);
      head.u32(GGML_F32);
      head.u64(offset);
      offset += Math.ceil((dims.reduce((x, y) => x * y, 1) * 4) / ALIGN) * ALIGN;
    }
    const fd = fs.openSync(`${out}.tmp`, "w");
    try {
      const h = head.concat();
      fs.writeSync(fd, h);
      let at = h.length;
      const pad = (n: number) => (n > 0 ? (fs.writeSync(fd, new Uint8Array(n)), (at += n)) : 0);
      pad(Math.ceil(at / ALIGN) * ALIGN - at);
      for (const [, dims, names] of tensors) {
        let written = 0;
        for (const n of names) {
          const v = await c.weights.get(n)!.load();
          fs.writeSync(fd, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
          written += v.byteLength;
        }
        if (written !== dims.reduce((x, y) => x * y, 1) * 4) throw new Error(`${names.join("+")}: ${written} bytes for dims ${dims}`);
        at += written;
        pad(Math.ceil(at / ALIGN) * ALIGN - at);
      }
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(`${out}.tmp`, out);
  } finally {
    await c.close();
  }
}
