/**
 * A GGUF model (one file, or the shards of a split one) as a build job. The build folder becomes a complete model
 * folder: the graph, the tokenizer and chat template from the metadata alone (tokenizer.json +
 * tokenizer_config.json), and a config.json with what the engine reads from one (context length, BOS / EOS).
 * Weights run as float32 until quantized graphs land.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DATA_FILE, MODEL_FILE, writeDecoderModel } from "../../convert/build-decoder.ts";
import type { DecoderArchitecture } from "../../convert/decoder-architecture.ts";
import { parameterCount } from "../../convert/decoder-weight-shapes.ts";
import { openGgufCheckpoint } from "../../convert/gguf/gguf-checkpoint.ts";
import type { ModelSpec } from "../../registry/registry-entry.ts";
import type { MarkerFile } from "../hub/completion-marker.ts";
import { ggufTokenizerFiles } from "../tokenizer/gguf-tokenizer.ts";
import { buildDirFor } from "./build-folder.ts";
import { buildIdentity } from "./build-identity.ts";
import { builtGraphLayout } from "./built-graph.ts";
import { computeDtype } from "./checkpoint-build.ts";
import type { BuildJob } from "./ensure-built.ts";

const WRITTEN = ["tokenizer.json", "tokenizer_config.json", "config.json"];

/**
 * `files`: the shards relative to `dir`, in order; `recorded`: the download's marker files (null for a user's
 * file); `variant` tells apart builds of several GGUF models of one repo.
 */
export function ggufBuildJob(spec: ModelSpec, dir: string, files: readonly string[], recorded: readonly MarkerFile[] | null, cacheDir: string, variant: string | null): BuildJob {
  const dtype = computeDtype(spec.dtype, "a GGUF file");
  const paths = files.map((f) => join(dir, f));
  return {
    label: spec.id,
    what: `GGUF file ${paths[0]}${paths.length > 1 ? ` (+${paths.length - 1} shards)` : ""}`,
    dir: buildDirFor(cacheDir, spec, variant),
    identity: buildIdentity("gguf", dtype, dir, files, recorded),
    async produce(out, onProgress) {
      const checkpoint = await openGgufCheckpoint(paths);
      try {
        // The tokenizer first: an unsupported one fails in milliseconds, before any weight is written.
        const tokenizer = ggufTokenizerFiles(checkpoint.metadata);
        let weightBytes = 0;
        await writeDecoderModel(checkpoint, out, {
          dtype,
          layout: builtGraphLayout(),
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
