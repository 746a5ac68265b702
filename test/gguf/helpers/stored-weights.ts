/**
 * A GGUF file's weights as the test's own parser (gguf-parse.ts) and reference dequantizer (ggml-reference.ts)
 * read them, under the logical names reference-forward.ts takes — rows exactly as stored: llama q/k still in
 * llama.cpp's permuted order (run them with `interleavedRope`), gpt2's fused attn_qkv split into q, k and v.
 * Nothing of src/convert/gguf is used, so the served model is checked against an independent reading.
 */
import { refDequantize } from "./ggml-reference.ts";
import { parseGgufForTest } from "./gguf-parse.ts";

const NAMES: Record<string, string> = {
  token_embd: "token_embedding",
  position_embd: "position_embedding",
  output_norm: "final_norm",
  output: "lm_head",
  attn_norm: "attn_norm",
  attn_q: "attn.q",
  attn_k: "attn.k",
  attn_v: "attn.v",
  attn_output: "attn.o",
  attn_q_norm: "attn.q_norm",
  attn_k_norm: "attn.k_norm",
  ffn_norm: "mlp_norm",
  ffn_gate: "mlp.gate",
  ffn_up: "mlp.up",
  ffn_down: "mlp.down",
};

/** `paths`: one file, or every shard of a split model. */
export function storedWeights(paths: readonly string[]): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const path of paths) {
    const g = parseGgufForTest(path);
    for (const t of g.tensors) {
      const m = /^(?:blk\.(\d+)\.)?([a-z_]+)\.(weight|bias)$/.exec(t.name);
      if (!m) throw new Error(`stored-weights: unexpected tensor ${t.name}`);
      const [, layer, base, part] = m as unknown as [string, string | undefined, string, string];
      const values = refDequantize(t.type, g.bytes.subarray(t.offset), t.dims.reduce((a, b) => a * b, 1));
      const prefix = layer === undefined ? "" : `layers.${layer}.`;
      if (base === "attn_qkv") {
        // [3E, E] rows (or [3E] bias): q, then k, then v.
        const third = values.length / 3;
        ["attn.q", "attn.k", "attn.v"].forEach((n, i) => out.set(`${prefix}${n}.${part}`, values.slice(i * third, (i + 1) * third)));
        continue;
      }
      const name = NAMES[base];
      if (!name) throw new Error(`stored-weights: no logical name for ${t.name}`);
      const logical = `${prefix}${name}.${part}`;
      out.set(logical === "token_embedding.weight" ? "token_embedding" : logical === "position_embedding.weight" ? "position_embedding" : logical, values);
    }
  }
  return out;
}
