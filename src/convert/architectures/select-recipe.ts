/** config.json → the recipe that reads it, by `model_type` (or, without one, the `architectures` class name). */
import { ConvertError } from "../convert-error.ts";
import type { ArchitectureRecipe } from "./architecture-recipe.ts";
import { CONFIG_FILE } from "./config-fields.ts";
import { gpt2Recipe } from "./gpt2.ts";
import { gpt3devRecipe } from "./gpt3dev.ts";
import { llamaFamilyRecipe } from "./llama-family.ts";

export const RECIPES: readonly ArchitectureRecipe[] = [gpt2Recipe, gpt3devRecipe, llamaFamilyRecipe];

export function selectRecipe(config: Readonly<Record<string, unknown>>): ArchitectureRecipe {
  const type = config.model_type;
  const classes = Array.isArray(config.architectures) ? config.architectures.filter((x): x is string => typeof x === "string") : [];
  const recipe =
    typeof type === "string"
      ? RECIPES.find((r) => r.modelTypes.includes(type))
      : RECIPES.find((r) => classes.some((c) => r.classNames.includes(c)));
  if (recipe) return recipe;
  const what = [
    typeof type === "string" ? `model_type ${JSON.stringify(type.slice(0, 60))}` : "no model_type",
    classes.length ? `architectures ${JSON.stringify(classes.slice(0, 4))}` : "no architectures",
  ].join(", ");
  throw new ConvertError(
    "unsupported_architecture",
    `${CONFIG_FILE}: ${what} is not an architecture the converter builds (supported: ${RECIPES.map((r) => r.label).join("; ")})`,
    CONFIG_FILE,
  );
}
