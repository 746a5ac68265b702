/**
 * The registry entry's `pooling` and `normalize` decide the vector: `cls` takes the first token's state,
 * `normalize: false` returns the pooled state as it is. Served from a registry this test writes, with entries
 * pointing at the generated test-embed folder.
 */
import { afterAll, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { EMBED_MODEL, testModelsDir, tokenIds } from "../chat/chat-kit.ts";
import { useServer } from "../helpers/start-server.ts";
import { firstTokenState, l2Normalized, maxAbsDiff, meanPooled, norm } from "./reference-embedding.ts";

const CLS = "test-embed-cls";
const RAW = "test-embed-unnormalized";
const TEXTS = ["Pool me by the first token", "and me, a second input"];

let tmp: string;

const ctx = useServer(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "embed-registry-"));
  const registry = path.join(tmp, "registry.yaml");
  const folder = path.join(testModelsDir(), "test-embed");
  fs.writeFileSync(
    registry,
    stringify([
      { name: CLS, path: folder, task: "embeddings", pooling: "cls", device: "cpu" },
      { name: RAW, path: folder, task: "embeddings", pooling: "mean", normalize: false, device: "cpu" },
    ]),
  );
  return { args: ["--registry", registry], env: { ENABLE_EMBEDDINGS_BACKEND: "true" } };
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const ids = (text: string) => tokenIds(EMBED_MODEL, text, true);

test("pooling: cls → the first token's last_hidden_state, normalised by default", async () => {
  const res = await ctx.client.embeddings.create({ model: CLS, input: TEXTS, encoding_format: "float" });
  for (let i = 0; i < TEXTS.length; i++) {
    const want = l2Normalized(await firstTokenState(await ids(TEXTS[i]!)));
    expect(maxAbsDiff(res.data[i]!.embedding, want)).toBeLessThan(1e-5);
    // …which is not the mean-pooled vector.
    expect(maxAbsDiff(res.data[i]!.embedding, l2Normalized(await meanPooled(await ids(TEXTS[i]!))))).toBeGreaterThan(1e-3);
  }
});

test("normalize: false → the mean-pooled state as it is", async () => {
  const res = await ctx.client.embeddings.create({ model: RAW, input: TEXTS, encoding_format: "float" });
  for (let i = 0; i < TEXTS.length; i++) {
    const want = Array.from(await meanPooled(await ids(TEXTS[i]!)));
    expect(norm(want)).not.toBeCloseTo(1, 2);
    expect(maxAbsDiff(res.data[i]!.embedding, want)).toBeLessThan(1e-5);
  }
});
