import type { GeneratedToken } from "../../engine/generation/generation-types.ts";

/**
 * What the model's generated text becomes in a response's `output`, piece by piece: message text, or the parts
 * of a function call (a call starts with its name, its JSON arguments arrive in fragments, then it ends).
 */
export type OutputSegment =
  | { kind: "text"; text: string; tokens: GeneratedToken[] }
  | { kind: "call_start"; name: string }
  | { kind: "call_arguments"; text: string }
  | { kind: "call_end" };

/**
 * Reads the text deltas of one generation into segments. Without tools every delta is message text
 * (plainText); with tools, a streaming tool-call parser over the same deltas tells the calls apart, in the
 * format of the model's family, as chat's tool calling does.
 */
export interface OutputSegmenter {
  push(text: string, tokens: GeneratedToken[]): OutputSegment[];
  /** The generation has ended: whatever the segmenter still holds. */
  end(): OutputSegment[];
}

export function plainText(): OutputSegmenter {
  return { push: (text, tokens) => [{ kind: "text", text, tokens }], end: () => [] };
}
