import type { LogitsProcessor } from "./logits-processor.ts";

/**
 * The Hugging Face repetition penalty: every token already in the prompt or the output has its logit divided
 * by the penalty when positive, multiplied when negative (so it always becomes less likely for a penalty > 1).
 */
export class RepetitionPenalty implements LogitsProcessor {
  private readonly seen: Set<number>;

  constructor(
    private readonly penalty: number,
    promptIds: readonly number[],
  ) {
    this.seen = new Set(promptIds);
  }

  apply(scores: Float32Array): void {
    for (const id of this.seen) {
      const v = scores[id]!;
      scores[id] = v > 0 ? v / this.penalty : v * this.penalty;
    }
  }

  accept(id: number): void {
    this.seen.add(id);
  }
}
