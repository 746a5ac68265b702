import { GenerationFailed } from "../../engine-errors.ts";

/**
 * The allowed-token step of structured output: every token the mask does not allow gets -Infinity, before any
 * other processor sees the row. The mask is a TokenConstraint's answer for this step (bit `id & 31` of word
 * `id >> 5` set = allowed; ids past the mask's end are not allowed). A mask that allows no token of the
 * vocabulary is the constraint's failure, not a reason to emit a token it forbids.
 */
export function applyAllowedTokenMask(scores: Float32Array, mask: Uint32Array): void {
  const vocab = scores.length;
  let allowed = 0;
  for (let w = 0; w * 32 < vocab; w++) {
    const word = w < mask.length ? mask[w]! : 0;
    const end = Math.min(32, vocab - w * 32);
    if (word === 0xffffffff && end === 32) {
      allowed += 32;
      continue;
    }
    for (let b = 0; b < end; b++) {
      if ((word >>> b) & 1) allowed++;
      else scores[w * 32 + b] = -Infinity;
    }
  }
  if (allowed === 0) throw new GenerationFailed("the token constraint allowed no token of the vocabulary");
}
