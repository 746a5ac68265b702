import type { LogitsProcessor } from "./logits-processor.ts";

/** OpenAI's logit_bias: a fixed amount added to chosen tokens' logits (-100 bans, +100 all but forces). */
export class LogitBias implements LogitsProcessor {
  constructor(private readonly bias: ReadonlyMap<number, number>) {}

  apply(scores: Float32Array): void {
    for (const [id, b] of this.bias) if (id < scores.length) scores[id] = scores[id]! + b;
  }
}
