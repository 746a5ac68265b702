import type { LogitsProcessor } from "./logits-processor.ts";

/**
 * OpenAI's presence and frequency penalties, over the tokens this sequence generated (not the prompt), as vLLM
 * applies them: logit − (presence + frequency × count) for every token produced so far.
 */
export class OutputPenalties implements LogitsProcessor {
  private readonly counts = new Map<number, number>();

  constructor(
    private readonly presence: number,
    private readonly frequency: number,
  ) {}

  apply(scores: Float32Array): void {
    for (const [id, count] of this.counts) scores[id] = scores[id]! - (this.presence + this.frequency * count);
  }

  accept(id: number): void {
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
  }
}
