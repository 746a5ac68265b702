import type { TextModel } from "../../engine/text-model.ts";
import { IncrementalDetokenizer } from "../../engine/tokenizer/incremental-detokenizer.ts";

/** Each prompt token's share of the prompt text, for echo logprobs' `text_offset`. */
export function promptOffsets(model: TextModel, ids: readonly number[]): number[] {
  const detok = new IncrementalDetokenizer(model.tokenizer, [], false);
  const offsets: number[] = [];
  let at = 0;
  for (const id of ids) {
    offsets.push(at);
    at += detok.push(id).length;
  }
  return offsets;
}
