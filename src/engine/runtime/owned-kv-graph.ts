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
  readonly newKeyNames: string[] = [];
  readonly newValueNames: string[] = [];
  readonly cacheKeyNames: string[] = [];
  readonly cacheValueNames: string[] = [];
  /** [1, kvHeads, 0, headDim]: what a prompt's first chunk reads. */
  readonly emptyCache: ort.Tensor;
  private readonly keepTensors = new Map<number, ort.Tensor>();

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

  /** One-token pass: proves the graph runs and returns the logits width. */
  async warmUp(): Promise<number> {
    const r = await this.forward({ kv: this.newBuffers({ chunk: 8, maxPositions: 8 }), first: 0, count: 1, steps: 1, tokens: [0], keep: 1, fresh: true });
    if (r.logits.length !== this.vocab) throw new Error(`the graph returned ${r.logits.length} logits for one position of a ${this.vocab}-token vocabulary`);
    return this.vocab;
  }

  newBuffers(options: KvBufferOptions): KvBuffers {
    return new KvBuffers({ layers: this.layers, kvHeads: this.kvHeads, headDim: this.headDim }, options);
  }

  /**
   * One pass over rows of `kv`; their new K/V rows are written in place and the rows advance by `steps`. `feeds`:
   * the caller's reusable input tensors (one set per batch loop: two loops may run on one graph at once).
   */
  async forward(a: OwnedForwardArgs, feeds: OwnedKvFeeds = new OwnedKvFeeds()): Promise<OwnedForwardResult> {
    const { kv, first, count, steps } = a;
    const inputs = feeds.inputs;
    if (steps === 1) {
      // int64 written as two 32-bit halves (little-endian; ids and lengths are small and non-negative)
      const f = feeds.decode(count);
      for (let b = 0; b < count; b++) {
        f.ids[2 * b] = a.tokens[b]!;
        f.lengths[2 * b] = a.fresh ? 0 : kv.length(first + b);
      }
      inputs.input_ids = f.idsT;
      inputs.past_lengths = f.lengthsT;
    } else {
      const ids = new BigInt64Array(count * steps);
      for (let i = 0; i < ids.length; i++) ids[i] = BigInt(a.tokens[i]!);
      inputs.input_ids = new ort.Tensor("int64", ids, [count, steps]);
      inputs.past_lengths = new ort.Tensor("int64", BigInt64Array.from({ length: count }, (_, b) => BigInt(a.fresh ? 0 : kv.length(first + b))), [count]);
    }
    inputs.num_logits_to_keep = this.keepTensor(a.keep);
    if (a.fresh) {
      if (count !== 1) throw new Error("a fresh prompt chunk runs one row at a time");
      for (let l = 0; l < this.layers; l++) {
        inputs[this.cacheKeyNames[l]!] = this.emptyCache;
        inputs[this.cacheValueNames[l]!] = this.emptyCache;
      }
    } else {
      const views = feeds.views(kv, first, count, this.layers);
      for (let l = 0; l < this.layers; l++) {
        inputs[this.cacheKeyNames[l]!] = views[2 * l]!;
        inputs[this.cacheValueNames[l]!] = views[2 * l + 1]!;
      }
    }
    const out = await this.session.run(inputs);
    kv.reserve(first + count, (a.fresh ? 0 : kv.longest(first, count)) + steps);
    for (let l = 0; l < this.layers; l++) {
      kv.write(l, out[this.newKeyNames[l]!]!.data as Float32Array, out[this.newValueNames[l]!]!.data as Float32Array, first, count, steps);
    }
    kv.advance(first, count, steps);
    const logits = out.logits!;
    return { logits: logits.data as Float32Array, vocab: this.vocab, kept: logits.dims[1]! };
  }

  private keepTensor(keep: number): ort.Tensor {
    let t = this.keepTensors.get(keep);
    if (!t) this.keepTensors.set(keep, (t = new ort.Tensor("int64", BigInt64Array.of(BigInt(keep)), [])));
    return t;
  }
}

/**
 * One caller's reusable inputs: decode-step input_ids / past_lengths by batch size (refilled in place) and tensors
 * over cache views by (first, count), rebuilt only when the buffers are reallocated.
 */
export class OwnedKvFeeds {
  /** The feeds object, reused: each run's tensors are set on it before the run. */
  readonly inputs: Record<string, ort.Tensor> = {};
  private readonly rows = new Map<number, { ids: Int32Array; lengths: Int32Array; idsT: ort.Tensor; lengthsT: ort.Tensor }>();
  private cached = new Map<string, ort.Tensor[]>();
  private cachedFor: { kv: KvBuffers; generation: number } | null = null;

  decode(count: number) {
    let f = this.rows.get(count);
    if (!f) {
      const ids = new BigInt64Array(count);
      const lengths = new BigInt64Array(count);
      f = { ids: new Int32Array(ids.buffer), lengths: new Int32Array(lengths.buffer), idsT: new ort.Tensor("int64", ids, [count, 1]), lengthsT: new ort.Tensor("int64", lengths, [count]) };
      this.rows.set(count, f);
    }
    return f;
  }

  /** Tensors over rows [first, first + count) of every layer's buffers (key, value alternating), zero-copy. */
  views(kv: KvBuffers, first: number, count: number, layers: number): ort.Tensor[] {
    if (this.cachedFor?.kv !== kv || this.cachedFor.generation !== kv.generation) {
      this.cached = new Map();
      this.cachedFor = { kv, generation: kv.generation };
    }
    const key = `${first}:${count}`;
    let v = this.cached.get(key);
    if (!v) {
      v = [];
      const dims = kv.viewDims(count);
      for (let l = 0; l < layers; l++) {
        v.push(new ort.Tensor("float32", kv.view(l, "key", first, count), dims));
        v.push(new ort.Tensor("float32", kv.view(l, "value", first, count), dims));
      }
      this.cached.set(key, v);
    }
    return v;
  }
}
