/** How one sequence picks its next token. Defaults follow the OpenAI API (temperature 1, top_p 1). */
export interface SamplingParams {
  temperature: number;
  topP: number;
  /** 0 = off. */
  topK: number;
  /** 0 = off. */
  minP: number;
  /** OpenAI-style penalties on tokens already generated (not the prompt), as vLLM applies them. */
  presencePenalty: number;
  frequencyPenalty: number;
  /** HF-style multiplicative penalty over prompt and output tokens; 1 = off. */
  repetitionPenalty: number;
  logitBias: Map<number, number>;
  /** null = fresh randomness for each request. */
  seed: number | null;
}

export const DEFAULT_SAMPLING: SamplingParams = {
  temperature: 1,
  topP: 1,
  topK: 0,
  minP: 0,
  presencePenalty: 0,
  frequencyPenalty: 0,
  repetitionPenalty: 1,
  logitBias: new Map(),
  seed: null,
};
