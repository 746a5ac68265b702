/**
 * Which tokens end a generation in a GGUF model, as llama.cpp decides (llama-vocab.cpp, special_eog_ids): the
 * metadata's eos / eot / eom ids, plus tokens it recognises by their text (`<|eot_id|>`, `<|im_end|>`, …), since
 * converters rarely record an end-of-turn id.
 */
import type { GgufMetadata } from "./gguf-metadata.ts";

/** The texts llama.cpp treats as end-of-generation wherever they appear in a vocabulary. */
const EOG_TEXTS = new Set([
  "<|eot_id|>",
  "<|im_end|>",
  "<|end|>",
  "<end_of_turn>",
  "<|endoftext|>",
  "<|eom_id|>",
  "<EOT>",
  "_<EOT>",
  "<|end_of_text|>",
  "<end_of_utterance>",
]);

export function ggufEndOfGenerationIds(meta: GgufMetadata): number[] {
  const ids = new Set<number>();
  const tokens = meta.stringArray("tokenizer.ggml.tokens") ?? [];
  const eos = meta.count("tokenizer.ggml.eos_token_id") ?? (meta.string("tokenizer.ggml.model") === "llama" ? 2 : undefined);
  for (const id of [eos, meta.count("tokenizer.ggml.eot_token_id"), meta.count("tokenizer.ggml.eom_token_id")]) {
    if (id !== undefined && id < tokens.length) ids.add(id);
  }
  tokens.forEach((text, id) => {
    if (EOG_TEXTS.has(text)) ids.add(id);
  });
  return [...ids].sort((a, b) => a - b);
}
