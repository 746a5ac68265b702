/**
 * A GGUF model (one file, or the shards of a split one) as a build job. The build folder becomes a complete model
 * folder: the graph, the tokenizer and chat template from the metadata alone (tokenizer.json +
 * tokenizer_config.json), and a config.json with what the engine reads from one (context length, BOS / EOS).
 * Without a dtype in the entry the graph computes at the file's own precision (ggufDefaultDtype): Q8_0 blocks run as
 * they are at 8 bits, Q4_0 at 4, K-quants are requantized to 4 bits, float files run in fp32.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DATA_FILE, MODEL_FILE, writeDecoderModel } from "../../convert/build-decoder.ts";
import type { DecoderArchitecture } from "../../convert/decoder-architecture.ts";
import { parameterCount } from "../../convert/decoder-weight-shapes.ts";
import type { ComputeDtype } from "../../convert/compute-dtype.ts";
import { ggufSummary, openGgufCheckpoint, type GgufPrecision } from "../../convert/gguf/gguf-checkpoint.ts";
import { GgufTensorSource } from "../../convert/gguf/gguf-tensor-source.ts";
import type { ModelSpec } from "../../registry/registry-entry.ts";
import type { MarkerFile } from "../hub/completion-marker.ts";
import { ggufTokenizerFiles } from "../tokenizer/gguf-tokenizer.ts";
import { buildDirFor } from "./build-folder.ts";
import { buildIdentity } from "./build-identity.ts";
import { buildDevice, builtGraphLayout } from "./built-graph.ts";
import { computeDtype } from "./checkpoint-build.ts";
import type { BuildJob } from "./ensure-built.ts";

const WRITTEN = ["tokenizer.json", "tokenizer_config.json", "config.json"];

/**
 * `files`: the shards relative to `dir`, in order; `recorded`: the download's marker files (null for a user's
 * file); `variant` tells apart builds of several GGUF models of one repo.
 */
export async function ggufBuildJob(
  spec: ModelSpec,
  dir: string,
  files: readonly string[],
  recorded: readonly MarkerFile[] | null,
  cacheDir: string,
  variant: string | null,
): Promise<BuildJob> {
  const paths = files.map((f) => join(dir, f));
  const dtype = spec.dtypeGiven ? computeDtype(spec.dtype, "a GGUF file") : ggufDefaultDtype(await storedPrecision(paths));
  const layout = builtGraphLayout(buildDevice(spec.device));
  return {
    label: spec.id,
    what: `GGUF file ${paths[0]}${paths.length > 1 ? ` (+${paths.length - 1} shards)` : ""}`,
    dir: buildDirFor(cacheDir, { source: spec.source, dtype }, variant),
    identity: buildIdentity("gguf", { dtype, layout: layout.name }, dir, files, recorded),
    async produce(out, onProgress) {
      const checkpoint = await openGgufCheckpoint(paths);
      try {
        // The tokenizer first: an unsupported one fails in milliseconds, before any weight is written.
        const tokenizer = ggufTokenizerFiles(checkpoint.metadata);
        let weightBytes = 0;
        await writeDecoderModel(checkpoint, out, {
          dtype,
          layout,
          metadata: { "gpt3dev_api.gguf_file_type": checkpoint.summary.fileType ?? "" },
          onProgress: (p) => {
            weightBytes = p.bytesTotal;
            onProgress(p);
          },
        });
        await writeJson(join(out, "tokenizer.json"), tokenizer.tokenizer);
        await writeJson(join(out, "tokenizer_config.json"), tokenizer.config);
        await writeJson(join(out, "config.json"), configFrom(checkpoint.architecture, checkpoint.summary.architecture, checkpoint.summary.files[0]!));
        return {
          about: {
            format: "gguf",
            architecture: checkpoint.architecture.name,
            parameters: parameterCount(checkpoint.architecture),
            build: { dtype, weightBytes, seconds: 0, builtAt: new Date().toISOString() },
            gguf: checkpoint.summary,
          },
          outputs: [MODEL_FILE, DATA_FILE, ...WRITTEN],
        };
      } finally {
        await checkpoint.close();
      }
    },
  };
}

/** The dtype a GGUF file runs at unless the entry names one: its own precision, in the nearest form we compute. */
export function ggufDefaultDtype(precision: GgufPrecision): ComputeDtype {
  switch (precision) {
    case "q8":
      return "q8";
    case "q4":
      return "q4";
    default:
      return "fp32";
  }
}

/** The file's precision class from its header alone (no weight is read). */
async function storedPrecision(paths: readonly string[]): Promise<GgufPrecision> {
  const source = GgufTensorSource.open(paths);
  try {
    return ggufSummary(source).precision;
  } finally {
    await source.close();
  }
}

/** What the engine reads from a config.json, from the GGUF's metadata as the converter read it. */
function configFrom(a: DecoderArchitecture, ggufArchitecture: string, file: string): Record<string, unknown> {
  return {
    _written_by: `gpt3dev-api, from the metadata of ${file}`,
    model_type: ggufArchitecture,
    vocab_size: a.vocabSize,
    max_position_embeddings: a.maxPositions,
    bos_token_id: a.bosTokenId,
    eos_token_id: [...a.eosTokenIds],
  };
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(file, `${JSON.stringify(value)}\n`);
}
