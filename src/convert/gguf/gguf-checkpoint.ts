/**
 * A GGUF model (one file, or the shards of a split one) read into the converter's terms: the DecoderArchitecture
 * from its metadata, its tensors as logical weights, and a summary of what the file is (for /v1/models).
 */
import type { DecoderArchitecture, DecoderCheckpoint } from "../decoder-architecture.ts";
import { fileTypeName } from "./ggml-types.ts";
import { ggufArchitecture, ggufArchitectureName } from "./gguf-architecture.ts";
import type { GgufMetadata } from "./gguf-metadata.ts";
import { GgufTensorSource } from "./gguf-tensor-source.ts";
import { ggufTensorFacts, ggufWeights } from "./gguf-weights.ts";

/** The precision a file's weights are stored at, by the family of its dominant type. */
export type GgufPrecision = "f32" | "f16" | "bf16" | "q8" | "q4" | "other";

export interface GgufSummary {
  /** Base names of the files, in shard order. */
  files: string[];
  /** general.architecture. */
  architecture: string;
  /** general.name, when the converter recorded it. */
  name: string | null;
  /** What llama-quantize was asked for (general.file_type: Q4_K_M, Q8_0, F16, …), when recorded. */
  fileType: string | null;
  precision: GgufPrecision;
  /** How many tensors of each stored type. */
  tensorTypes: Record<string, number>;
  parameters: number;
  /** Bytes of tensor data in the files. */
  storedBytes: number;
  /** Bytes the weights take as float32 (how they run until quantized graphs land). */
  float32Bytes: number;
}

export interface GgufCheckpoint extends DecoderCheckpoint {
  format: "gguf";
  summary: GgufSummary;
  metadata: GgufMetadata;
  source: GgufTensorSource;
}

/**
 * Opens `path` (a .gguf file, or any shard of a split model; its siblings are found by name) or an explicit list of
 * shards. Throws ConvertError naming the file for anything it cannot read or build; closes what it opened then.
 */
export async function openGgufCheckpoint(path: string | readonly string[]): Promise<GgufCheckpoint> {
  const source = GgufTensorSource.open(path);
  try {
    const meta = source.metadata;
    const name = ggufArchitectureName(meta);
    const layers = meta.requireCount(`${name}.block_count`);
    const facts = await ggufTensorFacts(source, layers);
    const architecture = ggufArchitecture(meta, facts) as DecoderArchitecture & { name: typeof name };
    const weights = ggufWeights(source, architecture);
    return {
      architecture,
      weights,
      format: "gguf",
      summary: ggufSummary(source),
      metadata: meta,
      source,
      close: () => source.close(),
    };
  } catch (e) {
    await source.close();
    throw e;
  }
}

const PRECISION_OF: Record<string, GgufPrecision> = {
  F32: "f32",
  F16: "f16",
  BF16: "bf16",
  Q8_0: "q8",
  Q4_0: "q4",
  Q4_1: "q4",
  Q5_0: "q4",
  Q5_1: "q4",
  Q4_K: "q4",
  Q5_K: "q4",
  Q6_K: "q4",
};

const FILE_TYPE_PRECISION: Record<string, GgufPrecision> = {
  F32: "f32",
  F16: "f16",
  BF16: "bf16",
  Q8_0: "q8",
  Q4_0: "q4",
  Q4_1: "q4",
  Q5_0: "q4",
  Q5_1: "q4",
  Q4_K_S: "q4",
  Q4_K_M: "q4",
  Q5_K_S: "q4",
  Q5_K_M: "q4",
  Q6_K: "q4",
};

export function ggufSummary(source: GgufTensorSource): GgufSummary {
  const meta = source.metadata;
  const tensorTypes: Record<string, number> = {};
  const paramsByType = new Map<string, number>();
  let parameters = 0;
  let storedBytes = 0;
  for (const file of source.files) {
    for (const t of file.header.tensors) {
      tensorTypes[t.type.name] = (tensorTypes[t.type.name] ?? 0) + 1;
      parameters += t.elements;
      storedBytes += t.bytes;
      if (t.dims.length >= 2) paramsByType.set(t.type.name, (paramsByType.get(t.type.name) ?? 0) + t.elements);
    }
  }
  const ftypeId = meta.count("general.file_type");
  const fileType = ftypeId === undefined ? null : (fileTypeName(ftypeId) ?? `file type ${ftypeId}`);
  let precision: GgufPrecision | undefined = fileType ? FILE_TYPE_PRECISION[fileType] : undefined;
  if (!precision) {
    const dominant = [...paramsByType.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    precision = (dominant && PRECISION_OF[dominant]) || "other";
  }
  return {
    files: source.files.map((f) => f.name),
    architecture: meta.string("general.architecture") ?? "unknown",
    name: meta.string("general.name") ?? null,
    fileType,
    precision,
    tensorTypes,
    parameters,
    storedBytes,
    float32Bytes: parameters * 4,
  };
}
