/**
 * A float64 forward over a GGUF's logical weights (q/k unpermuted, HF rotate-half rotary) gives the same logits
 * as one over the weights exactly as stored with llama.cpp's interleaved rotary — the two readings of the
 * permutation agree — and quantized files stay close to the lossless one. (Phase 2 compares served log-probs
 * with this forward.)
 */
import { describe, expect, test } from "bun:test";
import { openGgufCheckpoint } from "../../src/convert/gguf/gguf-checkpoint.ts";
import { fixture } from "./helpers/fixtures.ts";
import { refDequantize } from "./helpers/ggml-reference.ts";
import { parseGgufForTest } from "./helpers/gguf-parse.ts";
import { logSoftmax, referenceForward, type Weights } from "./helpers/reference-forward.ts";

const PROMPT = [1, 5, 100, 7, 42, 300, 12, 9, 250, 3];

/** The GGUF's tensors as stored (rows not reordered), under logical names, read by the test's own parser. */
function storedWeights(file: string): Weights {
  const ref = parseGgufForTest(fixture(file));
  const out = new Map<string, Float32Array>();
  const names: Record<string, string> = {
    token_embd: "token_embedding", output_norm: "final_norm", output: "lm_head",
    attn_norm: "attn_norm", attn_q: "attn.q", attn_k: "attn.k", attn_v: "attn.v", attn_output: "attn.o",
    ffn_norm: "mlp_norm", ffn_gate: "mlp.gate", ffn_up: "mlp.up", ffn_down: "mlp.down",
  };
  for (const t of ref.tensors) {
    const m = /^(?:blk\.(\d+)\.)?([a-z_]+)\.(weight|bias)$/.exec(t.name)!;
    const logical = (m[1] === undefined ? "" : `layers.${m[1]}.`) + `${names[m[2]!]}.${m[3]}`;
    out.set(logical.replace("token_embedding.weight", "token_embedding"), refDequantize(t.type, ref.bytes.subarray(t.offset), t.dims.reduce((a, b) => a * b, 1)));
  }
  return out;
}

async function logical(file: string) {
  const ckpt = await openGgufCheckpoint(fixture(file));
  const w = new Map<string, Float32Array>();
  for (const [k, t] of ckpt.weights) w.set(k, await t.load());
  await ckpt.close();
  return { architecture: ckpt.architecture, weights: w };
}

const maxDiff = (a: Float64Array[], b: Float64Array[]) => Math.max(...a.map((row, i) => Math.max(...row.map((x, j) => Math.abs(x - b[i]![j]!)))));

describe("logical weights with rotate-half rotary = stored weights with llama.cpp's interleaved rotary", () => {
  for (const file of ["llama-f32.gguf", "tiny-llama-256-F16.gguf", "tiny-llama-256-Q4_K_M.gguf"]) {
    test(file, async () => {
      const { architecture, weights } = await logical(file);
      const stored = storedWeights(file);
      const ours = referenceForward(architecture, weights, PROMPT);
      const llamaCpp = referenceForward(architecture, stored, PROMPT, { interleavedRope: true });
      expect(maxDiff(ours, llamaCpp)).toBeLessThan(1e-9);
      // and the permutation matters: stored rows with rotate-half rotary are a different model
      expect(maxDiff(ours, referenceForward(architecture, stored, PROMPT))).toBeGreaterThan(1e-3);
    });
  }
});

describe("sane log-probs", () => {
  for (const file of ["gpt2-f32.gguf", "qwen2-f32.gguf", "qwen2-BF16.gguf", "qwen3-f32-00001-of-00003.gguf", "llama-f32.gguf"]) {
    test(file, async () => {
      const { architecture, weights } = await logical(file);
      const rows = referenceForward(architecture, weights, PROMPT).map(logSoftmax);
      for (const row of rows) {
        expect(row.every(Number.isFinite)).toBe(true);
        expect(row.reduce((s, x) => s + Math.exp(x), 0)).toBeCloseTo(1, 9);
        expect(Math.max(...row) - Math.min(...row)).toBeGreaterThan(0.5); // not a flat distribution
      }
    });
  }

  test("quantized files stay close to the lossless one, closer the more bits", async () => {
    const base = await logical("tiny-llama-256-F16.gguf");
    const want = referenceForward(base.architecture, base.weights, PROMPT).map(logSoftmax);
    const error: Record<string, number> = {};
    for (const q of ["Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0"]) {
      const { architecture, weights } = await logical(`tiny-llama-256-${q}.gguf`);
      const got = referenceForward(architecture, weights, PROMPT).map(logSoftmax);
      // mean KL(lossless ‖ quantized) over the prompt's positions
      error[q] = want.reduce((sum, p, i) => sum + p.reduce((s, lp, j) => s + Math.exp(lp) * (lp - got[i]![j]!), 0), 0) / want.length;
    }
    // measured: Q8_0 0.0015, Q6_K 0.033, Q5_K_M 0.061, Q4_K_M 0.24, Q4_0 0.47 nats
    expect(error.Q8_0!).toBeLessThan(0.005);
    expect(error.Q8_0!).toBeLessThan(error.Q6_K!);
    expect(error.Q6_K!).toBeLessThan(error.Q5_K_M!);
    expect(error.Q5_K_M!).toBeLessThan(error.Q4_K_M!);
    expect(error.Q4_K_M!).toBeLessThan(error.Q4_0!);
    expect(error.Q4_0!).toBeLessThan(1);
  });
});
