/**
 * The engine's small parts on their own: the KV gather that rebuilds a batch's cache when rows join or leave
 * (left padding, trimming), stop strings held back across token boundaries, and the incremental detokenizer on
 * characters split over several byte-level tokens.
 */
import { describe, expect, test } from "bun:test";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { StopMatcher } from "../../src/engine/generation/stop-matcher.ts";
import { dropRow, gatherRows, type KvCache } from "../../src/engine/runtime/kv-cache.ts";
import { IncrementalDetokenizer } from "../../src/engine/tokenizer/incremental-detokenizer.ts";
import { TextTokenizer } from "../../src/engine/tokenizer/text-tokenizer.ts";

const HEADS = 2;
const DIM = 3;

/** A one-layer cache whose row r, head h, position t, element d holds r·1000 + h·100 + t·10 + d (+1 for values). */
function cache(batch: number, length: number): KvCache {
  const make = (plus: number) => {
    const data = new Float32Array(batch * HEADS * length * DIM);
    for (let r = 0; r < batch; r++)
      for (let h = 0; h < HEADS; h++)
        for (let t = 0; t < length; t++) for (let d = 0; d < DIM; d++) data[((r * HEADS + h) * length + t) * DIM + d] = r * 1000 + h * 100 + t * 10 + d + plus;
    return new ort.Tensor("float32", data, [batch, HEADS, length, DIM]);
  };
  return { batch, length, keys: [make(0)], values: [make(0.5)] };
}

/** Row b, head h of a gathered tensor as a list of positions (each the first element of its head vector). */
function positions(t: ort.Tensor, b: number, h: number): number[] {
  const [, heads, length, dim] = t.dims as [number, number, number, number];
  const data = t.data as Float32Array;
  return Array.from({ length }, (_, p) => data[((b * heads + h) * length + p) * dim]!);
}

describe("gatherRows", () => {
  test("left-pads shorter rows with zeros and keeps every row's real positions right-aligned", () => {
    const a = cache(2, 4);
    const b = cache(1, 2);
    const out = gatherRows([{ cache: a, row: 1 }, { cache: b, row: 0 }], 5, HEADS, DIM, "float32");
    expect(out.keys[0]!.dims).toEqual([2, HEADS, 5, DIM]);
    expect(positions(out.keys[0]!, 0, 1)).toEqual([0, 1100, 1110, 1120, 1130]);
    expect(positions(out.keys[0]!, 1, 0)).toEqual([0, 0, 0, 0, 10]);
    expect(positions(out.values[0]!, 1, 1)).toEqual([0, 0, 0, 100.5, 110.5]);
    const data = out.keys[0]!.data as Float32Array;
    expect(Array.from(data.subarray(((0 * HEADS + 1) * 5 + 2) * DIM, ((0 * HEADS + 1) * 5 + 3) * DIM))).toEqual([1110, 1111, 1112]);
  });

  test("trims leading padding when the longest row left: a shorter length keeps each row's last positions", () => {
    const a = cache(3, 6);
    const out = gatherRows([{ cache: a, row: 2 }, { cache: a, row: 0 }], 3, HEADS, DIM, "float32");
    expect(positions(out.keys[0]!, 0, 0)).toEqual([2030, 2040, 2050]);
    expect(positions(out.keys[0]!, 1, 1)).toEqual([130, 140, 150]);
  });

  test("the same source row may be gathered several times (n sequences sharing one prefill)", () => {
    const p = cache(1, 2);
    const out = gatherRows([{ cache: p, row: 0 }, { cache: p, row: 0 }, { cache: p, row: 0 }], 2, HEADS, DIM, "float32");
    for (let b = 0; b < 3; b++) expect(positions(out.values[0]!, b, 1)).toEqual([100.5, 110.5]);
  });
});

describe("dropRow", () => {
  test("moves the last row into the leaving row's slot and views the first batch − 1 rows, without a new buffer", () => {
    const c = cache(3, 2);
    const buffer = (c.keys[0]!.data as Float32Array).buffer;
    const out = dropRow(c, 0, "float32");
    expect(out.batch).toBe(2);
    expect(out.keys[0]!.dims).toEqual([2, HEADS, 2, DIM]);
    expect((out.keys[0]!.data as Float32Array).buffer).toBe(buffer);
    expect(positions(out.keys[0]!, 0, 1)).toEqual([2100, 2110]); // former row 2
    expect(positions(out.values[0]!, 1, 0)).toEqual([1000.5, 1010.5]); // row 1 stays
    const last = dropRow(out, 1, "float32");
    expect(last.batch).toBe(1);
    expect(positions(last.keys[0]!, 0, 0)).toEqual([2000, 2010]);
  });
});

describe("StopMatcher", () => {
  test("holds back a partial stop string across pushes and cuts at the stop", () => {
    const m = new StopMatcher(["###", "\n\n"]);
    expect(m.push("Hello #")).toEqual({ release: "Hello ", stopped: false });
    expect(m.push("#")).toEqual({ release: "", stopped: false });
    expect(m.push(" no")).toEqual({ release: "## no", stopped: false });
    expect(m.push("pe\n")).toEqual({ release: "pe", stopped: false });
    expect(m.push("\nrest")).toEqual({ release: "", stopped: true });
  });

  test("the earliest stop wins when several match; held text is released by flush at the end", () => {
    const m = new StopMatcher(["cd", "b"]);
    expect(m.push("abcd")).toEqual({ release: "a", stopped: true });
    const n = new StopMatcher(["END"]);
    expect(n.push("the EN")).toEqual({ release: "the ", stopped: false });
    expect(n.flush()).toBe("EN");
  });

  test("no stop strings: everything is released at once", () => {
    expect(new StopMatcher([]).push("anything")).toEqual({ release: "anything", stopped: false });
  });
});

describe("IncrementalDetokenizer", async () => {
  const tokenizer = await TextTokenizer.load(path.join(process.env.TEST_MODELS_DIR!, "test-gpt2"), { chatTemplate: null, tiktoken: null });

  test("a character split over byte tokens appears once, when complete, and the pieces add up to the whole text", () => {
    const text = " naïve café — 日本語 🙂👍🏽 done";
    const ids = tokenizer.encode(text, false);
    const detok = new IncrementalDetokenizer(tokenizer, tokenizer.encode("Prefix:", false));
    const pieces = ids.map((id) => detok.push(id));
    pieces.push(detok.flush());
    expect(pieces.join("")).toBe(text);
    expect(pieces.some((p) => p === "")).toBe(true); // some tokens were incomplete characters, held back
    for (const p of pieces) expect(p).not.toContain("\uFFFD");
  });

  test("an incomplete character at the very end is flushed as the replacement character, not lost", () => {
    const [first] = tokenizer.encode("🙂", false); // the emoji's first byte token
    const detok = new IncrementalDetokenizer(tokenizer, []);
    expect(detok.push(first!)).toBe("");
    expect(detok.flush()).toBe("\uFFFD");
  });
});
