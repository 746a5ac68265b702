/** A Hugging Face checkpoint folder (config.json + safetensors / pytorch_model.bin) as a build job: the graph only. */
import { buildDecoder, COMPUTE_DTYPES, DATA_FILE, isComputeDtype, MODEL_FILE, type ComputeDtype } from "../../convert/build-decoder.ts";
import { CONFIG_FILE } from "../../convert/architectures/config-fields.ts";
import { ConvertError } from "../../convert/convert-error.ts";
import { WEIGHT_FILE_NAMES, weightFiles } from "../../convert/readers/open-tensor-source.ts";
import type { ModelSpec } from "../../registry/registry-entry.ts";
import type { MarkerFile } from "../hub/completion-marker.ts";
import { buildDirFor } from "./build-folder.ts";
import { buildIdentity } from "./build-identity.ts";
import { buildDevice, builtGraphLayout } from "./built-graph.ts";
import type { BuildJob } from "./ensure-built.ts";

/** `recorded`: the download's marker files (their hashes key the build), null for a user's own folder. */
export async function checkpointBuildJob(spec: ModelSpec, dir: string, recorded: readonly MarkerFile[] | null, cacheDir: string): Promise<BuildJob> {
  const dtype = computeDtype(spec.dtype, "a checkpoint");
  const weights = await weightFiles(dir);
  if (!weights) throw new ConvertError("checkpoint_missing", `the folder holds no weights the converter reads (looked for ${WEIGHT_FILE_NAMES.join(", ")})`);
  const files = [CONFIG_FILE, ...weights.files];
  const layout = builtGraphLayout(buildDevice(spec.device));
  return {
    label: spec.id,
    what: `${weights.format} checkpoint in ${dir}`,
    dir: buildDirFor(cacheDir, { source: spec.source, dtype }),
    identity: buildIdentity("checkpoint", { dtype, layout: layout.name }, dir, files, recorded),
    async produce(out, onProgress) {
      let weightBytes = 0;
      const built = await buildDecoder(dir, out, {
        dtype,
        layout,
        onProgress: (p) => {
          weightBytes = p.bytesTotal;
          onProgress(p);
        },
      });
      return {
        about: {
          format: built.format === "pytorch" ? "pytorch" : "safetensors",
          architecture: built.architecture.name,
          parameters: built.parameterCount,
          build: { dtype, weightBytes, seconds: 0, builtAt: new Date().toISOString() },
          gguf: null,
        },
        outputs: [MODEL_FILE, DATA_FILE],
      };
    },
  };
}

/** The entry's dtype as a compute precision the builder supports, or a clear refusal naming what is. */
export function computeDtype(dtype: string, what: string): ComputeDtype {
  if (isComputeDtype(dtype)) return dtype;
  throw new ConvertError(
    "unsupported_dtype",
    `dtype ${dtype} cannot be built for ${what}: graphs built from weights compute in ${COMPUTE_DTYPES.slice(0, -1).join(", ")} or ${COMPUTE_DTYPES.at(-1)} (set one of them, or leave dtype out)`,
  );
}
