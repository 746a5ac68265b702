/** What each architecture family offers the converter: the names it answers to and how it reads a checkpoint. */
import type { DecoderArchitecture, WeightTensor } from "../decoder-architecture.ts";
import type { ConfigFields } from "./config-fields.ts";
import type { StoredWeights } from "./stored-weights.ts";

export interface ArchitectureRecipe {
  /** config.json `model_type` values this recipe reads. */
  modelTypes: readonly string[];
  /** config.json `architectures` class names, for configs without model_type. */
  classNames: readonly string[];
  /** What the user sees in the list of supported architectures. */
  label: string;
  /** The config read into a DecoderArchitecture (checked first) and the stored tensors mapped onto its logical weights. */
  read(config: Readonly<Record<string, unknown>>, stored: StoredWeights): { architecture: DecoderArchitecture; weights: Map<string, WeightTensor> };
}

export type { ConfigFields };
