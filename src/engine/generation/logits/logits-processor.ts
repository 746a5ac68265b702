/**
 * One small rule applied to a sequence's row of logits before the draw (transformers.js's LogitsProcessor):
 * it rewrites the scratch copy in place and nothing else. Processors that keep state (penalties count what the
 * sequence produced) learn each chosen token through `accept`.
 */
export interface LogitsProcessor {
  apply(scores: Float32Array): void;
  accept?(id: number): void;
}
