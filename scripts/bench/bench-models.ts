/**
 * The benchmark's one model in every form, identical weights: an ONNX export (Optimum layout), a Hugging Face
 * checkpoint (built into fp32 / q8 / q4 graphs by the server), and, for llama-server, F32 / Q8_0 / Q4_0 GGUF files.
 * By default the factory's test-gpt2-small and test-gpt2-small-hf (GGUF written from the checkpoint and quantized
 * with llama-quantize beside llama-server); `--models DIR` takes peer-bench's layout instead
 * (DIR/gpt2-small/{onnx/model.onnx, gpt2-small-{f32,Q8_0,Q4_0}.gguf}, DIR/gpt2-small-hf).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ensureTestModels } from "../make-test-models.ts";
import { writeGpt2Gguf } from "./gpt2-gguf.ts";

export type BenchDtype = "fp32" | "q8" | "q4";
const GGUF_TYPE: Record<BenchDtype, string> = { fp32: "f32", q8: "Q8_0", q4: "Q4_0" };

export interface BenchModels {
  label: string;
  onnxDir: string;
  hfDir: string;
  /** The GGUF file of a precision, made on first use (needs llama-quantize for Q8_0 / Q4_0). */
  gguf(dtype: BenchDtype): Promise<string>;
}

export async function benchModels(modelsDir: string | null, llamaBinDir: string | null, log: (line: string) => void): Promise<BenchModels> {
  if (modelsDir) {
    const dir = path.join(modelsDir, "gpt2-small");
    return {
      label: `peer-bench GPT-2 124M (${modelsDir})`,
      onnxDir: dir,
      hfDir: path.join(modelsDir, "gpt2-small-hf"),
      gguf: async (d) => must(path.join(dir, `gpt2-small-${GGUF_TYPE[d]}.gguf`)),
    };
  }
  log("making sure test-gpt2-small and test-gpt2-small-hf exist (≈1 GB, a few seconds the first time)");
  const models = await ensureTestModels({ preset: "small" });
  const hfDir = path.join(models.dir, "test-gpt2-small-hf");
  const ggufDir = path.join(models.dir, "..", "bench-gguf");
  const made = new Map<BenchDtype, Promise<string>>();
  const gguf = async (d: BenchDtype): Promise<string> => {
    fs.mkdirSync(ggufDir, { recursive: true });
    const f32 = path.join(ggufDir, "test-gpt2-small-f32.gguf");
    const stamp = fs.statSync(path.join(hfDir, "model.safetensors")).mtimeMs;
    const fresh = (f: string) => fs.existsSync(f) && fs.statSync(f).mtimeMs > stamp;
    if (d !== "fp32") await once("fp32");
    else if (!fresh(f32)) {
      log("writing test-gpt2-small-hf as an F32 GGUF for llama-server");
      await writeGpt2Gguf(hfDir, f32);
    }
    if (d === "fp32") return f32;
    const out = path.join(ggufDir, `test-gpt2-small-${GGUF_TYPE[d]}.gguf`);
    if (!fresh(out)) {
      if (!llamaBinDir) throw new Error("Q8_0 / Q4_0 files are made with llama-quantize, found beside llama-server");
      log(`quantizing to ${GGUF_TYPE[d]} with llama-quantize`);
      const q = Bun.spawnSync([path.join(llamaBinDir, "llama-quantize"), f32, out, GGUF_TYPE[d]], { stdout: "ignore", stderr: "pipe" });
      if (q.exitCode !== 0) throw new Error(`llama-quantize failed: ${q.stderr.toString().slice(-1000)}`);
    }
    return out;
  };
  /** Each file made once, however many cases ask for it at the same time. */
  const once = (d: BenchDtype): Promise<string> => {
    let p = made.get(d);
    if (!p) made.set(d, (p = gguf(d)));
    return p;
  };
  return {
    label: "test-gpt2-small (GPT-2 124M shape, random weights)",
    onnxDir: path.join(models.dir, "test-gpt2-small"),
    hfDir,
    gguf: once,
  };
}

function must(file: string): string {
  if (!fs.existsSync(file)) throw new Error(`${file} is missing (peer-bench's make-models.sh writes it)`);
  return file;
}
