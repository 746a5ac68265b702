/**
 * The converter's entry point: a checkpoint folder (config.json + safetensors / pytorch_model.bin) → `model.onnx`
 * and `model.onnx_data` in an output folder, streamed tensor by tensor. It knows nothing of caches or identities:
 * the caller decides where the build goes and whether one is needed (what it returns is what to key it by).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { BUILDER_VERSION } from "./builder-version.ts";
import { COMPUTE_DTYPES, isComputeDtype, weightPrecision, type ComputeDtype } from "./compute-dtype.ts";
import { ConvertError } from "./convert-error.ts";
import type { DecoderArchitecture, DecoderCheckpoint } from "./decoder-architecture.ts";
import { parameterCount } from "./decoder-weight-shapes.ts";
import { decoderGraph } from "./graph/decoder-graph.ts";
import type { DecoderLayout } from "./graph/decoder-layout.ts";
import { ownedKvLayout } from "./graph/owned-kv-layout.ts";
import { writeModel, type WriteProgress } from "./onnx/model-writer.ts";
import { openCheckpoint } from "./open-checkpoint.ts";

export const MODEL_FILE = "model.onnx";
export const DATA_FILE = "model.onnx_data";

export { COMPUTE_DTYPES, isComputeDtype, type ComputeDtype } from "./compute-dtype.ts";

export type BuildProgress = WriteProgress;

export interface BuildDecoderOptions {
  dtype?: ComputeDtype;
  /** The graph's input/output layout (default: see writeDecoderModel). */
  layout?: DecoderLayout;
  /** After each weight is written: tensors and bytes done / total. */
  onProgress?: (p: BuildProgress) => void;
}

export interface BuiltDecoder {
  architecture: DecoderArchitecture;
  parameterCount: number;
  /** The checkpoint's format: safetensors, pytorch (or gguf, from its own reader). */
  format: string;
  /** The checkpoint's files the build read, relative to its folder. */
  sourceFiles: string[];
  dtype: ComputeDtype;
  /** Absolute paths of what was written. */
  onnxFile: string;
  dataFile: string;
  builderVersion: number;
}

export async function buildDecoder(checkpointDir: string, outDir: string, opts: BuildDecoderOptions = {}): Promise<BuiltDecoder> {
  const dtype = opts.dtype ?? "fp32";
  checkComputeDtype(dtype);
  const checkpoint = await openCheckpoint(checkpointDir);
  try {
    await writeDecoderModel(checkpoint, outDir, { dtype, layout: opts.layout, onProgress: opts.onProgress });
    return {
      architecture: checkpoint.architecture,
      parameterCount: parameterCount(checkpoint.architecture),
      format: checkpoint.format,
      sourceFiles: checkpoint.files,
      dtype,
      onnxFile: join(outDir, MODEL_FILE),
      dataFile: join(outDir, DATA_FILE),
      builderVersion: BUILDER_VERSION,
    };
  } finally {
    await checkpoint.close();
  }
}

export interface WriteDecoderOptions {
  /** Compute precision of the graph (default fp32). */
  dtype?: ComputeDtype;
  /** Default: the engine-owned KV layout (owned-kv-layout.ts); exports and CUDA builds ask for the Optimum one. */
  layout?: DecoderLayout;
  /** false inlines every weight into model.onnx (small models only; what the test-model factory's exports do). */
  externalData?: boolean;
  onProgress?: (p: BuildProgress) => void;
  metadata?: Readonly<Record<string, string>>;
  /** Standard ONNX ops only, as exports in the Optimum layout have them (default: onnxruntime's fused contrib ops). */
  standardOps?: boolean;
}

/** Any DecoderCheckpoint (from config + weights, or from GGUF) → `outDir/model.onnx` (+ `model.onnx_data`). */
export async function writeDecoderModel(checkpoint: DecoderCheckpoint, outDir: string, opts: WriteDecoderOptions = {}): Promise<void> {
  const dtype = opts.dtype ?? "fp32";
  checkComputeDtype(dtype);
  const model = decoderGraph(checkpoint.architecture, checkpoint.weights, {
    layout: opts.layout ?? ownedKvLayout(),
    precision: weightPrecision(dtype),
    fusedOps: !opts.standardOps,
    metadata: { "gpt3dev_api.builder_version": String(BUILDER_VERSION), "gpt3dev_api.source_format": checkpoint.format, "gpt3dev_api.dtype": dtype, ...opts.metadata },
  });
  try {
    await mkdir(outDir, { recursive: true });
    await writeModel(model, join(outDir, MODEL_FILE), { externalData: opts.externalData === false ? undefined : DATA_FILE, onProgress: opts.onProgress });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === "string" && !(err instanceof ConvertError)) {
      throw new ConvertError("build_failed", `writing the built graph to ${outDir} failed (${code}: ${(err as Error).message})`, MODEL_FILE);
    }
    throw err;
  }
}

function checkComputeDtype(dtype: string): void {
  if (!isComputeDtype(dtype)) throw new ConvertError("unsupported_dtype", `dtype ${JSON.stringify(dtype)} cannot be built (supported: ${COMPUTE_DTYPES.join(", ")})`);
}
