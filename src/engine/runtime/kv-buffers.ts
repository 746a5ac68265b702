/**
 * The KV cache as the engine owns it for the graphs we build (docs/perf/owned-kv-layout.md): per layer one key
 * and one value buffer [rows, kvHeads, capacity, headDim] (float32) that never leaves JS memory. A graph reads a
 * contiguous range of rows zero-copy (`view`) and returns only each step's new rows, which `write` puts in place.
 *
 * Slot j of a row holds that row's position j, so a row is valid in [0, length) and the graph masks the rest.
 * All rows share one capacity: it grows in chunks of positions (copying only used positions) and can be fitted
 * back down when long rows leave, so attention, which reads the whole capacity, stays close to the longest row.
 * The engine keeps the rows it batches contiguous; `moveRow` (a leaving row's hole filled by the last one) and
 * `copyRow` (n choices of one prompt) copy only the used positions of one row.
 */
/** Runs at least this long are copied with `set` (a memcpy), shorter ones element by element (kv-write-probe). */
const SET_THRESHOLD = 256;

export interface KvShape {
  layers: number;
  kvHeads: number;
  headDim: number;
}

export interface KvBufferOptions {
  /** Positions are added this many at a time (a multiple of 8 keeps rows aligned). */
  chunk: number;
  /** The model's context length: capacity never grows past it. */
  maxPositions: number;
  /** Rows allocated at first; more are added (doubling) on demand. */
  initialRows?: number;
}

export class KvBuffers {
  readonly keys: Float32Array[] = [];
  readonly values: Float32Array[] = [];
  private lengths: Int32Array;
  private rowsAllocated: number;
  private cap = 0;
  /** Bumped whenever buffers are reallocated, so a caller caching tensors over views knows to rebuild them. */
  generation = 0;

  constructor(
    readonly shape: KvShape,
    readonly options: KvBufferOptions,
  ) {
    if (options.chunk <= 0 || !Number.isInteger(options.chunk)) throw new RangeError(`chunk ${options.chunk} is not a positive integer`);
    this.rowsAllocated = Math.max(1, options.initialRows ?? 1);
    this.lengths = new Int32Array(this.rowsAllocated);
    for (let l = 0; l < shape.layers; l++) {
      this.keys.push(new Float32Array(0));
      this.values.push(new Float32Array(0));
    }
  }

  get capacity(): number {
    return this.cap;
  }

  get rows(): number {
    return this.rowsAllocated;
  }

  /** Used positions of `row`. */
  length(row: number): number {
    this.check(row);
    return this.lengths[row]!;
  }

  /** The longest row among [first, first + count). */
  longest(first = 0, count = this.rowsAllocated): number {
    let m = 0;
    for (let r = first; r < first + count; r++) m = Math.max(m, this.lengths[r]!);
    return m;
  }

  /** Elements of one row of one layer's key (or value) buffer. */
  get rowElements(): number {
    return this.shape.kvHeads * this.cap * this.shape.headDim;
  }

  /** Bytes held by all buffers. */
  get bytes(): number {
    return 2 * this.shape.layers * this.rowsAllocated * this.rowElements * 4;
  }

  /**
   * Makes room for `rows` rows and `positions` positions (rounded up to the chunk, at most maxPositions).
   * Reallocates only when either grows; used positions of every row are copied, nothing else.
   */
  reserve(rows: number, positions: number): void {
    if (positions > this.options.maxPositions) throw new RangeError(`${positions} positions exceed the model's context of ${this.options.maxPositions}`);
    const wantRows = rows > this.rowsAllocated ? Math.max(rows, this.rowsAllocated * 2) : this.rowsAllocated;
    const wantCap = positions > this.cap ? Math.min(this.options.maxPositions, roundUp(positions, this.options.chunk)) : this.cap;
    if (wantRows !== this.rowsAllocated || wantCap !== this.cap) this.relayout(wantRows, wantCap);
  }

  /**
   * Shrinks the capacity to the longest row (rounded up to a chunk, plus `headroom` positions) when that frees at
   * least one chunk: attention reads the whole capacity, so a cache sized for a row that left slows every step.
   */
  fit(headroom = 0): boolean {
    const want = Math.min(this.options.maxPositions, roundUp(this.longest() + headroom, this.options.chunk));
    if (this.cap - want < this.options.chunk) return false;
    this.relayout(this.rowsAllocated, want);
    return true;
  }

  /**
   * One layer's keys or values for rows [first, first + count) as one contiguous array, to be fed zero-copy as a
   * tensor [count, kvHeads, capacity, headDim].
   */
  view(layer: number, kind: "key" | "value", first: number, count: number): Float32Array {
    if (count > 0) this.check(first + count - 1);
    const buf = (kind === "key" ? this.keys : this.values)[layer]!;
    return buf.subarray(first * this.rowElements, (first + count) * this.rowElements);
  }

  /** Dims of `view(…, count)`. */
  viewDims(count: number): [number, number, number, number] {
    return [count, this.shape.kvHeads, this.cap, this.shape.headDim];
  }

  /**
   * Writes one step's new rows of one layer: `keys` and `values` are [count, kvHeads, steps, headDim] (the graph's
   * new.{i}.key / new.{i}.value, the cache's own layout), batch index b going to row first + b at positions
   * length .. length + steps − 1: one contiguous run per (row, head). Lengths move on only with `advance`, after
   * every layer is written.
   */
  write(layer: number, keys: Float32Array, values: Float32Array, first: number, count: number, steps: number): void {
    const { kvHeads: H, headDim: D } = this.shape;
    if (keys.length !== count * H * steps * D || values.length !== keys.length) {
      throw new RangeError(`new rows hold ${keys.length}/${values.length} values, expected ${count}×${H}×${steps}×${D}`);
    }
    const cap = this.cap;
    const kBuf = this.keys[layer]!;
    const vBuf = this.values[layer]!;
    const run = steps * D;
    for (let b = 0; b < count; b++) {
      const row = first + b;
      const start = this.lengths[row]!;
      if (start + steps > cap) throw new RangeError(`row ${row}: ${start + steps} positions exceed the capacity ${cap}; reserve first`);
      for (let h = 0; h < H; h++) {
        const src = (b * H + h) * run;
        const dst = ((row * H + h) * cap + start) * D;
        if (run >= SET_THRESHOLD) {
          kBuf.set(keys.subarray(src, src + run), dst);
          vBuf.set(values.subarray(src, src + run), dst);
        } else {
          // short runs (a decode step's 64 values): an element loop beats making a view object per copy
          for (let i = 0; i < run; i++) {
            kBuf[dst + i] = keys[src + i]!;
            vBuf[dst + i] = values[src + i]!;
          }
        }
      }
    }
  }

  /** Rows [first, first + count) now hold `steps` more positions. */
  advance(first: number, count: number, steps: number): void {
    for (let r = first; r < first + count; r++) {
      this.check(r);
      this.lengths[r] = this.lengths[r]! + steps;
    }
  }

  /** Copies `from`'s used positions into `to` (which then has the same length); `from` is kept. */
  copyRow(from: number, to: number): void {
    this.check(from);
    this.check(to);
    if (from === to) return;
    const n = this.lengths[from]!;
    const { kvHeads: H, headDim: D } = this.shape;
    const cap = this.cap;
    for (const bufs of [this.keys, this.values]) {
      for (const buf of bufs) {
        for (let h = 0; h < H; h++) buf.copyWithin(((to * H + h) * cap) * D, ((from * H + h) * cap) * D, ((from * H + h) * cap + n) * D);
      }
    }
    this.lengths[to] = n;
  }

  /** Moves `from` into `to` (a leaving row's slot); `from` becomes empty. */
  moveRow(from: number, to: number): void {
    if (from === to) return;
    this.copyRow(from, to);
    this.lengths[from] = 0;
  }

  /** Forgets a row's positions (its slot is free). */
  clearRow(row: number): void {
    this.check(row);
    this.lengths[row] = 0;
  }

  /** Sets a row's length, e.g. to drop positions written by a step whose result is discarded. */
  truncate(row: number, length: number): void {
    this.check(row);
    if (length < 0 || length > this.lengths[row]!) throw new RangeError(`row ${row}: cannot set length ${length} (has ${this.lengths[row]})`);
    this.lengths[row] = length;
  }

  private relayout(rows: number, cap: number): void {
    const { kvHeads: H, headDim: D } = this.shape;
    const oldCap = this.cap;
    const keep = Math.min(this.rowsAllocated, rows);
    for (const bufs of [this.keys, this.values]) {
      for (let l = 0; l < bufs.length; l++) {
        const old = bufs[l]!;
        const next = new Float32Array(rows * H * cap * D);
        for (let r = 0; r < keep; r++) {
          const n = Math.min(this.lengths[r]!, cap);
          if (n === 0) continue;
          for (let h = 0; h < H; h++) {
            const src = (r * H + h) * oldCap * D;
            next.set(old.subarray(src, src + n * D), (r * H + h) * cap * D);
          }
        }
        bufs[l] = next;
      }
    }
    const lengths = new Int32Array(rows);
    lengths.set(this.lengths.subarray(0, keep));
    for (let r = 0; r < keep; r++) lengths[r] = Math.min(lengths[r]!, cap);
    this.lengths = lengths;
    this.rowsAllocated = rows;
    this.cap = cap;
    this.generation++;
  }

  private check(row: number): void {
    if (!Number.isInteger(row) || row < 0 || row >= this.rowsAllocated) throw new RangeError(`row ${row} is not one of the ${this.rowsAllocated} allocated rows`);
  }
}

function roundUp(x: number, chunk: number): number {
  return Math.max(chunk, Math.ceil(x / chunk) * chunk);
}
