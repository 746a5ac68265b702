/**
 * Where the grammar worker's module is. Under `bun run` it sits beside this file; in the compiled executable the
 * build lists it as a second entrypoint and defines GPT3DEV_GRAMMAR_WORKER as its path inside the binary
 * (entrypoints land under /$bunfs/root/ relative to their common folder, e.g. ./engine/grammar/grammar-worker.js).
 */
declare const GPT3DEV_GRAMMAR_WORKER: string | undefined;

export function grammarWorkerUrl(): string {
  if (typeof GPT3DEV_GRAMMAR_WORKER === "string") return GPT3DEV_GRAMMAR_WORKER;
  return new URL("./grammar-worker.ts", import.meta.url).href;
}
