/**
 * An independent float64 forward pass for the factory's checkpoints, written from the transformers (and
 * krll-corp/GPT3) modeling code with plain loops over the stored tensors by their Hugging Face names — none of the
 * converter's readers, recipes or graph. It reads config.json itself, so a misread field in the converter shows.
 * Full recomputation, no cache, one unpadded sequence at positions 0..T−1.
 */
import type { StoredTensor } from "../../scripts/checkpoints/stored-tensor.ts";

type Config = Record<string, any>;
type Vec = Float64Array<ArrayBufferLike>;

export class Weights {
  private readonly map = new Map<string, { shape: readonly number[]; v: Vec }>();
  constructor(tensors: readonly StoredTensor[]) {
    for (const t of tensors) this.map.set(t.name, { shape: t.shape, v: Float64Array.from(t.values) });
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  get(name: string): Vec {
    const t = this.map.get(name);
    if (!t) throw new Error(`reference: no tensor ${name}`);
    return t.v;
  }
}

/** Logits [vocab] at each of `positions` (default: all) for `tokens`. */
export function referenceLogits(config: Config, w: Weights, tokens: readonly number[], positions?: readonly number[]): Vec[] {
  const want = positions ?? tokens.map((_, i) => i);
  const hidden = config.model_type === "gpt2" || config.model_type === "gpt3dev" ? gpt2Style(config, w, tokens) : llamaStyle(config, w, tokens);
  const head = hidden.head;
  return want.map((t) => matVecRows(head, hidden.states[t]!, config.vocab_size));
}

/** log-softmax of a row. */
export function logSoftmax(logits: ArrayLike<number>): Vec {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(logits as ArrayLike<number>, (x) => x - lse);
}

// ---- GPT-2 and GPT3-dev -------------------------------------------------------------------------------------------

function gpt2Style(c: Config, w: Weights, tokens: readonly number[]): { states: Vec[]; head: Vec } {
  const dev = c.model_type === "gpt3dev";
  const v2 = dev && c.window_size !== undefined;
  const E: number = c.n_embd;
  const H: number = c.n_head;
  const Dh: number = dev && !v2 ? c.d_head : E / H;
  const A = H * Dh;
  const I = 4 * E; // both GPT-2 (n_inner null) and GPT3-dev
  const eps: number = c.layer_norm_epsilon;
  const pre = !dev || c.use_pre_layernorm !== false;
  const p = w.has("transformer.wte.weight") ? "transformer." : "";
  const activation: string = dev ? "gelu" : (c.activation_function ?? "gelu_new"); // GPT3-dev: nn.GELU() always
  const act = activation === "gelu" ? geluErf : activation === "relu" ? (x: number) => Math.max(0, x) : geluTanh;
  // Conv1D (GPT-2): y = x·W + b with W [in, out]; nn.Linear (GPT3-dev): y = W·x + b with W [out, in].
  const proj = (name: string, x: Vec, inSize: number, outSize: number) => {
    const W = w.get(`${name}.weight`);
    const b = w.get(`${name}.bias`);
    const y = new Float64Array(outSize);
    for (let o = 0; o < outSize; o++) {
      let s = b[o]!;
      for (let i = 0; i < inSize; i++) s += x[i]! * (dev ? W[o * inSize + i]! : W[i * outSize + o]!);
      y[o] = s;
    }
    return y;
  };
  const ln = (name: string, x: Vec) => layerNorm(x, w.get(`${name}.weight`), w.get(`${name}.bias`), eps);

  const wte = w.get(`${p}wte.weight`);
  const wpe = w.get(`${p}wpe.weight`);
  let xs: Vec[] = tokens.map((tok, t) => Float64Array.from({ length: E }, (_, i) => wte[tok * E + i]! + wpe[t * E + i]!));
  for (let l = 0; l < c.n_layer; l++) {
    const h = `${p}h.${l}`;
    const window = v2 && l % 2 === 1 ? (c.window_size as number) : Infinity;
    const attn = (inputs: Vec[]) => {
      const qkv = inputs.map((x) => proj(`${h}.attn.c_attn`, x, E, 3 * A));
      return qkv.map((_, t) => {
        const merged = new Float64Array(A);
        for (let head = 0; head < H; head++) {
          const scores: number[] = [];
          for (let j = 0; j <= t; j++) {
            if (t - j > window) {
              scores.push(-Infinity);
              continue;
            }
            let s = 0;
            for (let d = 0; d < Dh; d++) s += qkv[t]![head * Dh + d]! * qkv[j]![A + head * Dh + d]!;
            scores.push(s / Math.sqrt(Dh));
          }
          const probs = softmax(scores);
          for (let j = 0; j <= t; j++) for (let d = 0; d < Dh; d++) merged[head * Dh + d] = merged[head * Dh + d]! + probs[j]! * qkv[j]![2 * A + head * Dh + d]!;
        }
        return proj(`${h}.attn.c_proj`, merged, A, E);
      });
    };
    const mlp = (x: Vec) => proj(`${h}.mlp.c_proj`, proj(`${h}.mlp.c_fc`, x, E, I).map(act), I, E);
    if (pre) {
      const a = attn(xs.map((x) => ln(`${h}.ln_1`, x)));
      const x1 = xs.map((x, t) => add(x, a[t]!));
      xs = x1.map((x) => add(x, mlp(ln(`${h}.ln_2`, x))));
    } else {
      // GPT3-dev v1 with use_pre_layernorm false: x = ln_1(x + attn(x)); x = ln_2(x + mlp(x))
      const a = attn(xs);
      const x1 = xs.map((x, t) => ln(`${h}.ln_1`, add(x, a[t]!)));
      xs = x1.map((x) => ln(`${h}.ln_2`, add(x, mlp(x))));
    }
  }
  const states = xs.map((x) => ln(`${p}ln_f`, x));
  const ownHead = dev ? w.has("lm_head.weight") : c.tie_word_embeddings === false;
  return { states, head: ownHead ? w.get("lm_head.weight") : wte };
}

// ---- llama, mistral, qwen2, qwen3 ------------------------------------------------------------------------------------

function llamaStyle(c: Config, w: Weights, tokens: readonly number[]): { states: Vec[]; head: Vec } {
  const E: number = c.hidden_size;
  const H: number = c.num_attention_heads;
  const KV: number = c.num_key_value_heads ?? H;
  const D: number = c.head_dim ?? E / H;
  const I: number = c.intermediate_size;
  const eps: number = c.rms_norm_eps;
  const qkvBias = c.model_type === "qwen2" || c.attention_bias === true;
  const oBias = c.model_type !== "qwen2" && c.attention_bias === true;
  const qkNorm = c.model_type === "qwen3";
  const sliding: number | null = c.model_type === "mistral" ? (c.sliding_window ?? null) : null;
  const R = 2 * Math.floor((D * (c.partial_rotary_factor ?? 1)) / 2); // rotated dims; the rest pass through
  const inv = inverseFrequencies(c, R);
  const linear = (name: string, x: Vec, inSize: number, outSize: number, bias: boolean) => {
    const W = w.get(`${name}.weight`);
    const b = bias ? w.get(`${name}.bias`) : null;
    const y = new Float64Array(outSize);
    for (let o = 0; o < outSize; o++) {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < inSize; i++) s += W[o * inSize + i]! * x[i]!;
      y[o] = s;
    }
    return y;
  };
  const rotate = (x: Vec, heads: number, pos: number) => {
    const out = Float64Array.from(x);
    for (let hd = 0; hd < heads; hd++) {
      for (let i = 0; i < R / 2; i++) {
        const [cos, sin] = [Math.cos(pos * inv[i]!), Math.sin(pos * inv[i]!)];
        const a = x[hd * D + i]!;
        const b = x[hd * D + i + R / 2]!;
        out[hd * D + i] = a * cos - b * sin;
        out[hd * D + i + R / 2] = b * cos + a * sin;
      }
    }
    return out;
  };
  const headNorm = (x: Vec, heads: number, weight: Vec) => {
    const out = new Float64Array(x.length);
    for (let hd = 0; hd < heads; hd++) out.set(rmsNorm(x.subarray(hd * D, (hd + 1) * D), weight, eps), hd * D);
    return out;
  };

  const embed = w.get("model.embed_tokens.weight");
  let xs: Vec[] = tokens.map((tok) => embed.slice(tok * E, (tok + 1) * E));
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const n = `model.layers.${l}`;
    const hs = xs.map((x) => rmsNorm(x, w.get(`${n}.input_layernorm.weight`), eps));
    const qs = hs.map((h, t) => {
      let q = linear(`${n}.self_attn.q_proj`, h, E, H * D, qkvBias);
      if (qkNorm) q = headNorm(q, H, w.get(`${n}.self_attn.q_norm.weight`));
      return rotate(q, H, t);
    });
    const ks = hs.map((h, t) => {
      let k = linear(`${n}.self_attn.k_proj`, h, E, KV * D, qkvBias);
      if (qkNorm) k = headNorm(k, KV, w.get(`${n}.self_attn.k_norm.weight`));
      return rotate(k, KV, t);
    });
    const vs = hs.map((h) => linear(`${n}.self_attn.v_proj`, h, E, KV * D, qkvBias));
    xs = xs.map((x, t) => {
      const merged = new Float64Array(H * D);
      for (let hd = 0; hd < H; hd++) {
        const kvh = Math.floor(hd / (H / KV));
        const scores: number[] = [];
        for (let j = 0; j <= t; j++) {
          if (sliding !== null && t - j >= sliding) {
            scores.push(-Infinity);
            continue;
          }
          let s = 0;
          for (let d = 0; d < D; d++) s += qs[t]![hd * D + d]! * ks[j]![kvh * D + d]!;
          scores.push(s / Math.sqrt(D));
        }
        const probs = softmax(scores);
        for (let j = 0; j <= t; j++) for (let d = 0; d < D; d++) merged[hd * D + d] = merged[hd * D + d]! + probs[j]! * vs[j]![kvh * D + d]!;
      }
      const x1 = add(x, linear(`${n}.self_attn.o_proj`, merged, H * D, E, oBias));
      const h2 = rmsNorm(x1, w.get(`${n}.post_attention_layernorm.weight`), eps);
      const gate = linear(`${n}.mlp.gate_proj`, h2, E, I, false);
      const up = linear(`${n}.mlp.up_proj`, h2, E, I, false);
      const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!);
      return add(x1, linear(`${n}.mlp.down_proj`, act, I, E, false));
    });
  }
  const states = xs.map((x) => rmsNorm(x, w.get("model.norm.weight"), eps));
  return { states, head: c.tie_word_embeddings ? embed : w.get("lm_head.weight") };
}

/** transformers' rope inv_freq over the D rotated dims, for rope_scaling null, linear and llama3. */
function inverseFrequencies(c: Config, D: number): Vec {
  const base: number = c.rope_theta;
  const inv = Float64Array.from({ length: D / 2 }, (_, i) => 1 / Math.pow(base, (2 * i) / D));
  const s = c.rope_scaling;
  if (!s) return inv;
  const type = s.rope_type ?? s.type;
  if (type === "linear") return inv.map((f) => f / s.factor);
  if (type !== "llama3") throw new Error(`reference: rope type ${type}`);
  const old: number = s.original_max_position_embeddings;
  const lowWavelen = old / s.low_freq_factor;
  const highWavelen = old / s.high_freq_factor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    const scaled = wavelen > lowWavelen ? f / s.factor : f;
    const medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
    if (!medium) return scaled;
    const smooth = (old / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
    return ((1 - smooth) * scaled) / s.factor + smooth * scaled;
  });
}

// ---- math ------------------------------------------------------------------------------------------------------------

function add(a: Vec, b: Vec): Vec {
  return a.map((x, i) => x + b[i]!);
}

function matVecRows(m: Vec, x: Vec, rows: number): Vec {
  const n = x.length;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const at = r * n;
    for (let i = 0; i < n; i++) s += m[at + i]! * x[i]!;
    out[r] = s;
  }
  return out;
}

function softmax(scores: number[]): number[] {
  const max = Math.max(...scores);
  const e = scores.map((s) => Math.exp(s - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

function layerNorm(x: Vec, weight: Vec, bias: Vec, eps: number): Vec {
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
  return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * weight[i]! + bias[i]!);
}

function rmsNorm(x: Vec, weight: Vec, eps: number): Vec {
  const ms = x.reduce((a, b) => a + b * b, 0) / x.length;
  return x.map((v, i) => (v / Math.sqrt(ms + eps)) * weight[i]!);
}

function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

function geluErf(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** erf to ~1e-15: the Maclaurin series near 0, a continued fraction for erfc beyond. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 60; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
  let f = ax;
  for (let k = 80; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}
