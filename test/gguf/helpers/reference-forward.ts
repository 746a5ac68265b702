/**
 * A float64 forward pass of a decoder over a map of weights, written in the tests as the yardstick for the graphs
 * the server builds (gpt2 / llama / qwen2 / qwen3 as DecoderArchitecture describes them). Rotary embedding can be
 * applied HF-style (rotate-half) or llama.cpp-style (interleaved pairs), so a GGUF's stored, permuted q/k can be
 * run as llama.cpp runs them and compared with the unpermuted logical weights.
 */
import type { DecoderArchitecture } from "../../../src/convert/decoder-architecture.ts";

export type Weights = ReadonlyMap<string, Float32Array | Float64Array>;

function matvec(w: ArrayLike<number>, x: Float64Array, rows: number, bias?: ArrayLike<number>): Float64Array {
  const cols = x.length;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = bias ? bias[r]! : 0;
    for (let c = 0; c < cols; c++) s += w[r * cols + c]! * x[c]!;
    out[r] = s;
  }
  return out;
}

function norm(x: Float64Array, a: DecoderArchitecture, w: ArrayLike<number>, b?: ArrayLike<number>): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  if (a.norm.kind === "rmsnorm") {
    let ms = 0;
    for (let i = 0; i < n; i++) ms += x[i]! * x[i]!;
    const inv = 1 / Math.sqrt(ms / n + a.norm.eps);
    for (let i = 0; i < n; i++) out[i] = x[i]! * inv * w[i]!;
  } else {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[i]!;
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(v / n + a.norm.eps);
    for (let i = 0; i < n; i++) out[i] = (x[i]! - mean) * inv * w[i]! + (b ? b[i]! : 0);
  }
  return out;
}

function rope(v: Float64Array, heads: number, a: DecoderArchitecture, pos: number, interleaved: boolean): void {
  if (a.positions.kind !== "rope") return;
  const { theta, rotaryDim } = a.positions;
  const d = a.headDim;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < rotaryDim / 2; i++) {
      const angle = pos * theta ** ((-2 * i) / rotaryDim);
      const [c, s] = [Math.cos(angle), Math.sin(angle)];
      const [p, q] = interleaved ? [h * d + 2 * i, h * d + 2 * i + 1] : [h * d + i, h * d + i + rotaryDim / 2];
      const [x0, x1] = [v[p]!, v[q]!];
      v[p] = x0 * c - x1 * s;
      v[q] = x0 * s + x1 * c;
    }
  }
}

const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const silu = (x: number) => x / (1 + Math.exp(-x));

/** Logits [tokens.length][vocab] for a prompt, in float64. */
export function referenceForward(a: DecoderArchitecture, w: Weights, tokens: readonly number[], opts: { interleavedRope?: boolean } = {}): Float64Array[] {
  const get = (k: string) => {
    const t = w.get(k);
    if (!t) throw new Error(`no weight ${k}`);
    return t;
  };
  const opt = (k: string) => w.get(k);
  const E = a.hiddenSize;
  const D = a.headDim;
  const group = a.heads / a.kvHeads;
  const keys: Float64Array[][] = Array.from({ length: a.layers }, () => []);
  const values: Float64Array[][] = Array.from({ length: a.layers }, () => []);
  const logits: Float64Array[] = [];
  tokens.forEach((token, pos) => {
    const emb = get("token_embedding");
    let x: Float64Array = Float64Array.from(emb.subarray(token * E, (token + 1) * E));
    if (a.positions.kind === "learned") {
      const pe = get("position_embedding");
      for (let i = 0; i < E; i++) x[i]! += pe[pos * E + i]!;
    }
    for (let l = 0; l < a.layers; l++) {
      const p = `layers.${l}.`;
      const h = norm(x, a, get(`${p}attn_norm.weight`), opt(`${p}attn_norm.bias`));
      const q = matvec(get(`${p}attn.q.weight`), h, a.heads * D, opt(`${p}attn.q.bias`));
      const k = matvec(get(`${p}attn.k.weight`), h, a.kvHeads * D, opt(`${p}attn.k.bias`));
      const v = matvec(get(`${p}attn.v.weight`), h, a.kvHeads * D, opt(`${p}attn.v.bias`));
      if (a.qkNorm) {
        for (const [t, n, wn] of [[q, a.heads, get(`${p}attn.q_norm.weight`)], [k, a.kvHeads, get(`${p}attn.k_norm.weight`)]] as const) {
          for (let hh = 0; hh < n; hh++) t.set(norm(t.subarray(hh * D, (hh + 1) * D), a, wn), hh * D);
        }
      }
      rope(q, a.heads, a, pos, opts.interleavedRope ?? false);
      rope(k, a.kvHeads, a, pos, opts.interleavedRope ?? false);
      keys[l]!.push(k);
      values[l]!.push(v);
      const attn = new Float64Array(a.heads * D);
      for (let hh = 0; hh < a.heads; hh++) {
        const kv = Math.floor(hh / group);
        const window = a.window[l] ?? Infinity;
        const visible = keys[l]!.map((_, j) => j).filter((j) => pos - j <= window);
        const scores = visible.map((j) => {
          let s = 0;
          for (let i = 0; i < D; i++) s += q[hh * D + i]! * keys[l]![j]![kv * D + i]!;
          return s * a.attentionScale;
        });
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((s, x) => s + x, 0);
        visible.forEach((j, n) => {
          for (let i = 0; i < D; i++) attn[hh * D + i]! += (e[n]! / z) * values[l]![j]![kv * D + i]!;
        });
      }
      const o = matvec(get(`${p}attn.o.weight`), attn, E, opt(`${p}attn.o.bias`));
      for (let i = 0; i < E; i++) x[i]! += o[i]!;
      const h2 = norm(x, a, get(`${p}mlp_norm.weight`), opt(`${p}mlp_norm.bias`));
      const up = matvec(get(`${p}mlp.up.weight`), h2, a.intermediateSize, opt(`${p}mlp.up.bias`));
      if (a.mlp === "swiglu") {
        const gate = matvec(get(`${p}mlp.gate.weight`), h2, a.intermediateSize);
        for (let i = 0; i < up.length; i++) up[i] = silu(gate[i]!) * up[i]!;
      } else {
        for (let i = 0; i < up.length; i++) up[i] = gelu(up[i]!);
      }
      const down = matvec(get(`${p}mlp.down.weight`), up, E, opt(`${p}mlp.down.bias`));
      for (let i = 0; i < E; i++) x[i]! += down[i]!;
    }
    x = norm(x, a, get("final_norm.weight"), opt("final_norm.bias"));
    logits.push(matvec(a.tiedEmbeddings ? get("token_embedding") : get("lm_head.weight"), x, a.vocabSize));
  });
  return logits;
}

export function logSoftmax(logits: Float64Array): Float64Array {
  const m = Math.max(...logits);
  const z = Math.log(logits.reduce((s, x) => s + Math.exp(x - m), 0)) + m;
  return logits.map((x) => x - z);
}
