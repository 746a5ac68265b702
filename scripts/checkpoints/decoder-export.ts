/**
 * An ONNX export in the Optimum layout from a checkpoint held in memory (config.json + stored tensors): the
 * converter's recipe maps it, the converter's writer writes it, inline (one model.onnx) and without
 * num_logits_to_keep, like the exports people publish.
 */
import { StoredWeights } from "../../src/convert/architectures/stored-weights.ts";
import { selectRecipe } from "../../src/convert/architectures/select-recipe.ts";
import { writeDecoderModel } from "../../src/convert/build-decoder.ts";
import { optimumLayout } from "../../src/convert/graph/optimum-layout.ts";
import { memoryTensorSource } from "./memory-tensor-source.ts";
import type { StoredTensor } from "./stored-tensor.ts";

export async function writeDecoderExport(config: Record<string, unknown>, tensors: readonly StoredTensor[], onnxDir: string): Promise<void> {
  const source = memoryTensorSource(tensors);
  const { architecture, weights } = selectRecipe(config).read(config, new StoredWeights(source, String(config.model_type)));
  const checkpoint = { architecture, weights, format: "export", close: () => source.close() };
  await writeDecoderModel(checkpoint, onnxDir, { externalData: false, layout: optimumLayout({ logitsToKeep: false }), standardOps: true });
}
