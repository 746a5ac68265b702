/**
 * The raw onnxruntime loop as its own process (so it runs under the same environment as the server, e.g. the
 * allocator's settings, and its memory does not weigh on the server's): prints one JSON line of results.
 *
 *   bun scripts/bench/raw-loop-main.ts MODEL_FILE THREADS single PROMPT_TOKENS STEPS
 *   bun scripts/bench/raw-loop-main.ts MODEL_FILE THREADS batched PAST_LENGTH STEPS B1,B2,…
 */
import { benchPrompt } from "./load-run.ts";
import { RawDecodeLoop } from "./raw-decode-loop.ts";

const [file, threads, mode, a, b, batches] = process.argv.slice(2);
const loop = await RawDecodeLoop.open(file!, Number(threads));
if (mode === "single") {
  await loop.run(benchPrompt(Number(a), 1), 4); // warm-up
  console.log(JSON.stringify(await loop.run(benchPrompt(Number(a), 2), Number(b))));
} else {
  const out: Record<string, { msPerStep: number; tokPerS: number }> = {};
  for (const batch of batches!.split(",").map(Number)) {
    await loop.batchedSteps(batch, Number(a), 2); // warm-up at this shape
    out[batch] = await loop.batchedSteps(batch, Number(a), Number(b));
  }
  console.log(JSON.stringify(out));
}
await loop.release();
