// Path of tiktoken's wasm: a node_modules path under `bun run`, a `/$bunfs/…` path inside the executable (Bun
// embeds files imported with `type: "file"`). tiktoken's default entry would look for the wasm on disk instead.
import wasmFile from "tiktoken/tiktoken_bg.wasm" with { type: "file" };

// The package types describe the wasm's exports; a `type: "file"` import yields its path.
export const tiktokenWasmPath = wasmFile as unknown as string;
