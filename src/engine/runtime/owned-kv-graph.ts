import * as ort from "onnxruntime-node";
import { KvBuffers, type KvBufferOptions } from "./kv-buffers.ts";

/** What one forward returns: logits [count × kept × vocab], row-major, as the binding handed them over. */
export interface OwnedForwardResult {
  logits: Float32Array;
  vocab: number;
  kept: number;
}

export interface OwnedForwardArgs {
  kv: KvBuffers;
  /** Rows [first, first + count) of `kv` run, each with `steps` new tokens. */
  first: number;
  count: number;
  steps: number;
  /** The new tokens [count × steps]; only the first count × steps values are read. */
  tokens: ArrayLike<number>;
  /** Logits for the last `keep` positions of each row: 0 (none), 1, or steps. */
  keep: number;
  /** A prompt's first chunk: the row is empty and the graph is fed a cache of capacity 0. */
  fresh: boolean;
}

/**
 * A graph with the engine-owned KV interface (docs/perf/owned-kv-layout.md; the converter writes it for the
 * graphs it builds): per-layer cache buffers go in zero-copy from KvBuffers, only the new K/V rows and the logits
 * asked for come out, and the new rows are written in place. Feeds are kept and refilled between steps, so a
 * decode step allocates nothing of its own beyond what onnxruntime returns.
 */
export class OwnedKvGraph {
  readonly kind = "owned" as const;
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly vocab: number;
  /** Positions are computed in the graph from past_lengths: any row can share a batch. */
  readonly hasPositionIds = true;
  private readonly newKeyNames: string[] = [];
  private readonly newValueNames: string[] = [];
  private readonly cacheKeyNames: string[] = [];
  private readonly cacheValueNames: string[] = [];
  /** Decode feeds (input_ids, past_lengths) by batch size, refilled every step. */
  private readonly rowFeeds = new Map<number, { ids: Int32Array; lengths: Int32Array; idsT: ort.Tensor; lengthsT: ort.Tensor }>();
  /** The feeds object, reused: each run's tensors are set on it before the run. */
  private readonly feeds: Record<string, ort.Tensor> = {};
  /** Cache views by (first, count), valid while the buffers' generation does not change. */
  private views = new Map<string, ort.Tensor[]>();
  private viewsOf: { kv: KvBuffers; generation: number } | null = null;
  private readonly keepTensors = new Map<number, ort.Tensor>();
  private readonly emptyCache: ort.Tensor;

  constructor(readonly session: ort.InferenceSession) {
    const inputs = new Set(session.inputNames);
    const outputs = new Set(session.outputNames);
    for (const name of ["input_ids", "past_lengths", "num_logits_to_keep", "cache.0.key"]) {
      if (!inputs.has(name)) throw new Error(`the graph has no '${name}' input; it is not in the engine-owned KV layout`);
    }
    if (!outputs.has("logits")) throw new Error("the graph has no 'logits' output");
    let layers = 0;
    while (inputs.has(`cache.${layers}.key`) && inputs.has(`cache.${layers}.value`) && outputs.has(`new.${layers}.key`) && outputs.has(`new.${layers}.value`)) layers++;
    this.layers = layers;
    const meta = session.inputMetadata.find((m) => m.name === "cache.0.key");
    const [, heads, , dim] = meta && meta.isTensor ? meta.shape : [];
    if (typeof heads !== "number" || typeof dim !== "number") throw new Error("cache.0.key must be [batch, kv_heads, capacity, head_dim] with fixed heads and head size");
    this.kvHeads = heads;
    this.headDim = dim;
    const logits = session.outputMetadata.find((m) => m.name === "logits");
    const vocab = logits && logits.isTensor ? logits.shape[2] : undefined;
    if (typeof vocab !== "number") throw new Error("logits must be [batch, keep, vocab] with a fixed vocabulary size");
    this.vocab = vocab;
    for (let l = 0; l < layers; l++) {
      this.newKeyNames.push(`new.${l}.key`);
      this.newValueNames.push(`new.${l}.value`);
      this.cacheKeyNames.push(`cache.${l}.key`);
      this.cacheValueNames.push(`cache.${l}.value`);
    }
    this.emptyCache = new ort.Tensor("float32", new Float32Array(0), [1, heads, 0, dim]);
  }

  newBuffers(options: KvBufferOptions): KvBuffers {
    return new KvBuffers({ layers: this.layers, kvHeads: this.kvHeads, headDim: this.headDim }, options);
  }

  /** One pass over rows of `kv`; their new K/V rows are written in place and the rows advance by `steps`. */
  async forward(a: OwnedForwardArgs): Promise<OwnedForwardResult> {
    const { kv, first, count, steps } = a;
    const feeds = this.feeds;
    if (steps === 1) {
      // int64 written as two 32-bit halves (little-endian; ids and lengths are small and non-negative)
      const f = this.decodeFeeds(count);
      for (let b = 0; b < count; b++) {
        f.ids[2 * b] = a.tokens[b]!;
        f.lengths[2 * b] = a.fresh ? 0 : kv.length(first + b);
      }
      feeds.input_ids = f.idsT;
      feeds.past_lengths = f.lengthsT;
    } else {
      const ids = new BigInt64Array(count * steps);
      for (let i = 0; i < ids.length; i++) ids[i] = BigInt(a.tokens[i]!);
      feeds.input_ids = new ort.Tensor("int64", ids, [count, steps]);
      feeds.past_lengths = new ort.Tensor("int64", BigInt64Array.from({ length: count }, (_, b) => BigInt(a.fresh ? 0 : kv.length(first + b))), [count]);
    }
    feeds.num_logits_to_keep = this.keepTensor(a.keep);
    if (a.fresh) {
      if (count !== 1) throw new Error("a fresh prompt chunk runs one row at a time");
      for (let l = 0; l < this.layers; l++) {
        feeds[this.cacheKeyNames[l]!] = this.emptyCache;
        feeds[this.cacheValueNames[l]!] = this.emptyCache;
      }
    } else {
      const views = this.cacheViews(kv, first, count);
      for (let l = 0; l < this.layers; l++) {
        feeds[this.cacheKeyNames[l]!] = views[2 * l]!;
        feeds[this.cacheValueNames[l]!] = views[2 * l + 1]!;
      }
    }
    const out = await this.session.run(feeds);
    kv.reserve(first + count, (a.fresh ? 0 : kv.longest(first, count)) + steps);
    for (let l = 0; l < this.layers; l++) {
      kv.write(l, out[this.newKeyNames[l]!]!.data as Float32Array, out[this.newValueNames[l]!]!.data as Float32Array, first, count, steps);
    }
    kv.advance(first, count, steps);
    const logits = out.logits!;
    return { logits: logits.data as Float32Array, vocab: this.vocab, kept: logits.dims[1]! };
  }

  private decodeFeeds(count: number) {
    let f = this.rowFeeds.get(count);
    if (!f) {
      const ids = new BigInt64Array(count);
      const lengths = new BigInt64Array(count);
      f = { ids: new Int32Array(ids.buffer), lengths: new Int32Array(lengths.buffer), idsT: new ort.Tensor("int64", ids, [count, 1]), lengthsT: new ort.Tensor("int64", lengths, [count]) };
      this.rowFeeds.set(count, f);
    }
    return f;
  }

  private keepTensor(keep: number): ort.Tensor {
    let t = this.keepTensors.get(keep);
    if (!t) this.keepTensors.set(keep, (t = new ort.Tensor("int64", BigInt64Array.of(BigInt(keep)), [])));
    return t;
  }

  /** Tensors over rows [first, first + count) of every layer's buffers (key, value alternating), zero-copy. */
  private cacheViews(kv: KvBuffers, first: number, count: number): ort.Tensor[] {
    if (this.viewsOf?.kv !== kv || this.viewsOf.generation !== kv.generation) {
      this.views = new Map();
      this.viewsOf = { kv, generation: kv.generation };
    }
    const key = `${first}:${count}`;
    let v = this.views.get(key);
    if (!v) {
      v = [];
      const dims = kv.viewDims(count);
      for (let l = 0; l < this.layers; l++) {
        v.push(new ort.Tensor("float32", kv.view(l, "key", first, count), dims));
        v.push(new ort.Tensor("float32", kv.view(l, "value", first, count), dims));
      }
      this.views.set(key, v);
    }
    return v;
  }
}
