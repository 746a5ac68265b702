// tiktoken encodings that work the same under `bun run` and in the executable: the wasm is instantiated from a
// path this module knows (see tiktoken-wasm-path.ts) through `tiktoken/init`, once per process.
import { readFileSync } from "node:fs";
import { get_encoding, init, type Tiktoken, type TiktokenEncoding } from "tiktoken/init";
import { tiktokenWasmPath } from "./tiktoken-wasm-path.ts";

export const TIKTOKEN_ENCODINGS: readonly TiktokenEncoding[] = [
  "gpt2",
  "r50k_base",
  "p50k_base",
  "p50k_edit",
  "cl100k_base",
  "o200k_base",
];

let ready: Promise<void> | null = null;
const encodings = new Map<TiktokenEncoding, Tiktoken>();

function isTiktokenEncoding(name: string): name is TiktokenEncoding {
  return (TIKTOKEN_ENCODINGS as readonly string[]).includes(name);
}

/** The named encoding (`gpt2`, `cl100k_base`, …), shared by all callers; rejects an unknown name. */
export async function getTiktokenEncoding(name: string): Promise<Tiktoken> {
  if (!isTiktokenEncoding(name)) {
    throw new Error(`unknown tiktoken encoding "${name}" (known: ${TIKTOKEN_ENCODINGS.join(", ")})`);
  }
  ready ??= init((imports) => WebAssembly.instantiate(readFileSync(tiktokenWasmPath), imports));
  await ready;
  let encoding = encodings.get(name);
  if (encoding === undefined) {
    encoding = get_encoding(name);
    encodings.set(name, encoding);
  }
  return encoding;
}
