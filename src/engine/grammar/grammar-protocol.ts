import type { GrammarSpec } from "./grammar-spec.ts";
import type { GrammarVocabulary } from "./grammar-vocabulary.ts";

/** Messages to the grammar worker. Sequence ids are the engine client's; keys are specKey(spec). */
export type ToWorker =
  | { type: "init"; vocab: GrammarVocabulary }
  | { type: "compile"; id: number; key: string; spec: GrammarSpec }
  | { type: "open"; seq: number; key: string; replay: number[] }
  | { type: "step"; id: number; requests: { seq: number; accept: number[] }[] }
  | { type: "close"; seqs: number[] };

/** Replies. `poisoned`: the WASM module aborted; the client must throw this worker away. */
export type FromWorker =
  | { type: "ready"; ms: number }
  | { type: "compiled"; id: number; ms: number }
  | { type: "compile_failed"; id: number; message: string }
  | { type: "opened"; seq: number; error: string | null }
  | { type: "masks"; id: number; results: { seq: number; mask: Uint32Array | null; error: string | null }[] }
  | { type: "poisoned"; message: string };
