import type { TextModel } from "../../engine/text-model.ts";
import { invalidRequest } from "./api-error.ts";

/**
 * A plain-text prompt's ids as /v1/completions encodes it (with the tokenizer's special tokens, as a raw
 * document starts); an empty prompt means the start of a new document, as OpenAI treats it.
 */
export function textPromptIds(model: TextModel, text: string, param: string): number[] {
  const ids = model.tokenizer.encode(text, true);
  if (ids.length > 0) return ids;
  if (model.documentStartId === null) throw invalidRequest("The prompt is empty and this model has no BOS token to start from.", param);
  return [model.documentStartId];
}
