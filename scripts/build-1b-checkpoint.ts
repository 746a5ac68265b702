/**
 * Builds a synthetic ~1B-parameter checkpoint and reports what building it costs: a Llama-3.2-1B-shaped model
 * (hidden 2048, 16 layers, 32 heads / 8 KV heads, SwiGLU 8192, vocab 128256, tied head, llama3 rope scaling) in
 * BF16, sharded safetensors, converted by the converter to an fp32 ONNX graph with external data.
 *
 *   bun run scripts/build-1b-checkpoint.ts [--dir DIR] [--keep] [--run]
 *
 * The checkpoint is written first (values are synthetic: a random block repeated; the build does not care), then
 * built in a child process so its peak RSS is the build's alone. --run also loads the built graph in onnxruntime
 * (another child) and runs one 8-token forward. Without --dir everything goes to a temporary folder, removed at
 * the end unless --keep.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildDecoder, type BuildProgress } from "../src/convert/build-decoder.ts";
import { float32ToBf16 } from "../src/convert/numeric/half-float.ts";
import { writeSafetensorsStreaming, type StreamedTensor } from "./checkpoints/safetensors-writer.ts";
import { uniform } from "./onnx/seeded-weights.ts";

const SHAPE = { hidden: 2048, layers: 16, heads: 32, kvHeads: 8, headDim: 64, intermediate: 8192, vocab: 128256 };
const SHARDS = 3;

function config(): Record<string, unknown> {
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_act: "silu",
    hidden_size: SHAPE.hidden,
    num_hidden_layers: SHAPE.layers,
    num_attention_heads: SHAPE.heads,
    num_key_value_heads: SHAPE.kvHeads,
    head_dim: SHAPE.headDim,
    intermediate_size: SHAPE.intermediate,
    vocab_size: SHAPE.vocab,
    max_position_embeddings: 131072,
    rms_norm_eps: 1e-5,
    rope_theta: 500000,
    rope_scaling: { rope_type: "llama3", factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
    tie_word_embeddings: true,
    bos_token_id: 128000,
    eos_token_id: 128001,
    torch_dtype: "bfloat16",
  };
}

function tensors(): StreamedTensor[] {
  const { hidden: E, layers, heads: H, kvHeads: KV, headDim: D, intermediate: I, vocab: V } = SHAPE;
  const block = float32ToBf16(uniform("1b", 1 << 20, 0.02));
  const bf16 = (name: string, shape: number[]): StreamedTensor => ({
    name,
    shape,
    dtype: "BF16",
    bytes: () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const out = new Uint16Array(n);
      for (let at = 0; at < n; at += block.length) out.set(block.subarray(0, Math.min(block.length, n - at)), at);
      return new Uint8Array(out.buffer);
    },
  });
  const list: StreamedTensor[] = [bf16("model.embed_tokens.weight", [V, E])];
  for (let i = 0; i < layers; i++) {
    const l = `model.layers.${i}`;
    list.push(
      bf16(`${l}.input_layernorm.weight`, [E]),
      bf16(`${l}.self_attn.q_proj.weight`, [H * D, E]),
      bf16(`${l}.self_attn.k_proj.weight`, [KV * D, E]),
      bf16(`${l}.self_attn.v_proj.weight`, [KV * D, E]),
      bf16(`${l}.self_attn.o_proj.weight`, [E, H * D]),
      bf16(`${l}.post_attention_layernorm.weight`, [E]),
      bf16(`${l}.mlp.gate_proj.weight`, [I, E]),
      bf16(`${l}.mlp.up_proj.weight`, [I, E]),
      bf16(`${l}.mlp.down_proj.weight`, [E, I]),
    );
  }
  list.push(bf16("model.norm.weight", [E]));
  return list;
}

function writeCheckpoint(dir: string): { bytes: number; parameters: number } {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config(), null, 2));
  const all = tensors();
  const per = Math.ceil(all.length / SHARDS);
  const weightMap: Record<string, string> = {};
  let bytes = 0;
  for (let s = 0; s < SHARDS; s++) {
    const name = `model-${String(s + 1).padStart(5, "0")}-of-${String(SHARDS).padStart(5, "0")}.safetensors`;
    const group = all.slice(s * per, (s + 1) * per);
    bytes += writeSafetensorsStreaming(path.join(dir, name), group);
    for (const t of group) weightMap[t.name] = name;
  }
  fs.writeFileSync(path.join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: { total_size: bytes }, weight_map: weightMap }));
  return { bytes, parameters: all.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0) };
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
const maxRss = () => process.resourceUsage().maxRSS * 1024; // kilobytes on Linux

/** Child: build and report. */
async function buildChild(checkpoint: string, out: string): Promise<void> {
  const started = performance.now();
  let last = 0;
  const built = await buildDecoder(checkpoint, out, {
    onProgress: (p: BuildProgress) => {
      const now = performance.now();
      if (now - last > 5000 || p.tensorsDone === p.tensorsTotal) {
        last = now;
        console.error(`  built ${p.tensorsDone}/${p.tensorsTotal} tensors, ${gib(p.bytesDone)} of ${gib(p.bytesTotal)}`);
      }
    },
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ seconds, maxRss: maxRss(), parameters: built.parameterCount, onnx: fs.statSync(built.onnxFile).size, data: fs.statSync(built.dataFile).size }));
}

/** Child: load in onnxruntime and run one forward. */
async function runChild(out: string): Promise<void> {
  const ort = await import("onnxruntime-node");
  const started = performance.now();
  const session = await ort.InferenceSession.create(path.join(out, "model.onnx"));
  const loaded = (performance.now() - started) / 1000;
  const T = 8;
  const i64 = (v: number[]) => new ort.Tensor("int64", BigInt64Array.from(v, BigInt), [1, v.length]);
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
    input_ids: i64([128000, 791, 4062, 14198, 39935, 35308, 927, 279]),
    attention_mask: i64(new Array(T).fill(1)),
    position_ids: i64([...Array(T).keys()]),
    num_logits_to_keep: new ort.Tensor("int64", BigInt64Array.of(1n), []),
  };
  for (let i = 0; i < SHAPE.layers; i++) {
    for (const k of ["key", "value"]) feeds[`past_key_values.${i}.${k}`] = new ort.Tensor("float32", new Float32Array(0), [1, SHAPE.kvHeads, 0, SHAPE.headDim]);
  }
  const t0 = performance.now();
  const result = await session.run(feeds);
  const logits = result.logits!;
  const finite = (logits.data as Float32Array).every(Number.isFinite);
  console.log(JSON.stringify({ loadSeconds: loaded, forwardSeconds: (performance.now() - t0) / 1000, dims: logits.dims, finite, maxRss: maxRss() }));
}

async function child(args: string[]): Promise<Record<string, unknown>> {
  const proc = Bun.spawn([process.execPath, import.meta.path, ...args], { stdout: "pipe", stderr: "inherit" });
  const text = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`child ${args[0]} failed`);
  return JSON.parse(text.trim().split("\n").at(-1)!);
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  if (args[0] === "--build-child") await buildChild(args[1]!, args[2]!);
  else if (args[0] === "--run-child") await runChild(args[1]!);
  else {
    const i = args.indexOf("--dir");
    const root = i >= 0 ? path.resolve(args[i + 1]!) : fs.mkdtempSync(path.join(os.tmpdir(), "build-1b-"));
    const checkpoint = path.join(root, "checkpoint");
    const out = path.join(root, "built");
    try {
      console.error(`writing the synthetic checkpoint to ${checkpoint} …`);
      const t0 = performance.now();
      const written = writeCheckpoint(checkpoint);
      console.error(`  ${written.parameters.toLocaleString()} parameters, ${gib(written.bytes)} BF16 in ${SHARDS} shards, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      console.error("building …");
      const b = await child(["--build-child", checkpoint, out]);
      const rows = [
        ["parameters", Number(b.parameters).toLocaleString()],
        ["checkpoint (BF16, sharded safetensors)", gib(written.bytes)],
        ["built model.onnx", `${(Number(b.onnx) / 1024).toFixed(0)} KiB`],
        ["built model.onnx_data (fp32)", gib(Number(b.data))],
        ["build time", `${Number(b.seconds).toFixed(1)} s`],
        ["build peak RSS", gib(Number(b.maxRss))],
      ];
      if (args.includes("--run")) {
        console.error("loading in onnxruntime …");
        const r = await child(["--run-child", out]);
        rows.push(["onnxruntime session load", `${Number(r.loadSeconds).toFixed(1)} s`]);
        rows.push(["8-token forward", `${Number(r.forwardSeconds).toFixed(2)} s, logits ${JSON.stringify(r.dims)}, finite: ${r.finite}`]);
        rows.push(["onnxruntime peak RSS", gib(Number(r.maxRss))]);
      }
      console.log(`| what | figure |\n|---|---|\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join("\n")}`);
    } finally {
      if (!args.includes("--keep")) fs.rmSync(root, { recursive: true, force: true });
    }
  }
}
