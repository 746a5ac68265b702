import { GrammarEngine, type GrammarEngineOptions } from "./grammar-engine.ts";
import { grammarVocabulary } from "./grammar-vocabulary.ts";
import type { TextTokenizer } from "../tokenizer/text-tokenizer.ts";

/**
 * One grammar engine per loaded model, made on first use (its worker starts then: ~250 ms for a 50k vocabulary)
 * and kept for the model's lifetime. Keyed by the tokenizer object, which a loaded model owns.
 */
const engines = new WeakMap<TextTokenizer, GrammarEngine>();
/** Every engine made, so the server can stop their workers when it stops. */
const made = new Set<GrammarEngine>();

export function grammarEngineFor(tokenizer: TextTokenizer, vocabSize: number, stopTokenIds: Iterable<number>, options: GrammarEngineOptions = {}): GrammarEngine {
  let engine = engines.get(tokenizer);
  if (!engine) {
    engine = new GrammarEngine(grammarVocabulary(tokenizer, vocabSize, stopTokenIds), options);
    engines.set(tokenizer, engine);
    made.add(engine);
  }
  return engine;
}

/** Stops every engine's worker (the server is stopping); an engine asked again afterwards starts a fresh one. */
export function shutdownGrammarEngines(): void {
  for (const engine of made) engine.shutdown();
}
