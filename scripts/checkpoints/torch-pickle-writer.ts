/**
 * Writes the `data.pkl` of a torch.save state dict the way Python's pickler does at protocol 2: an OrderedDict
 * rebuilt by REDUCE, each tensor as `torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
 * requires_grad, OrderedDict())` with its storage as a persistent id `('storage', torch.FloatStorage, key, 'cpu',
 * numel)`, the memo (BINPUT / BINGET) for repeated strings and globals, and the `_metadata` attribute set by BUILD.
 */

export interface PickledTensor {
  name: string;
  storage: { key: string; cls: string; numel: number };
  offset: number;
  shape: readonly number[];
  stride: readonly number[];
}

class PickleOut {
  private readonly bytes: number[] = [];
  private readonly memo = new Map<string, number>();

  op(...codes: number[]): void {
    this.bytes.push(...codes);
  }
  u32(v: number): void {
    this.op(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  /** Emits BINGET for a value already memoized under `key`; else `emit()` then BINPUT. */
  memoized(key: string, emit: () => void): void {
    const at = this.memo.get(key);
    if (at !== undefined) {
      if (at < 256) this.op(0x68, at); // BINGET
      else {
        this.op(0x6a); // LONG_BINGET
        this.u32(at);
      }
      return;
    }
    emit();
    this.put(key);
  }
  /** BINPUT / LONG_BINPUT for the object on top of the stack. */
  put(key: string): void {
    const at = this.memo.size;
    this.memo.set(key, at);
    if (at < 256) this.op(0x71, at);
    else {
      this.op(0x72);
      this.u32(at);
    }
  }
  fresh(): string {
    return `obj:${this.memo.size}`;
  }
  str(s: string): void {
    this.memoized(`str:${s}`, () => {
      const b = new TextEncoder().encode(s);
      this.op(0x58); // BINUNICODE
      this.u32(b.byteLength);
      this.op(...b);
    });
  }
  int(v: number): void {
    if (v >= 0 && v < 256) this.op(0x4b, v); // BININT1
    else if (v >= 0 && v < 65536) this.op(0x4d, v & 0xff, v >>> 8); // BININT2
    else if (v >= -(2 ** 31) && v < 2 ** 31) {
      this.op(0x4a); // BININT
      this.u32(v >>> 0);
    } else {
      const bytes: number[] = [];
      let x = BigInt(v);
      do {
        bytes.push(Number(x & 0xffn));
        x >>= 8n;
      } while (x !== 0n && x !== -1n);
      if ((bytes[bytes.length - 1]! & 0x80) !== (v < 0 ? 0x80 : 0)) bytes.push(v < 0 ? 0xff : 0);
      this.op(0x8a, bytes.length, ...bytes); // LONG1
    }
  }
  global(module: string, name: string): void {
    this.memoized(`global:${module}.${name}`, () => this.op(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`)));
  }
  tuple(items: (() => void)[]): void {
    if (items.length === 0) return this.op(0x29); // EMPTY_TUPLE
    if (items.length > 3) this.op(0x28); // MARK
    for (const item of items) item();
    this.op(items.length > 3 ? 0x74 : 0x84 + items.length); // TUPLE or TUPLE1..3
    this.put(this.fresh());
  }
  orderedDict(): void {
    this.global("collections", "OrderedDict");
    this.op(0x29, 0x52); // EMPTY_TUPLE, REDUCE
    this.put(this.fresh());
  }
  /** SETITEMS in batches of 1000, as Python's pickler writes them (a single item: SETITEM). */
  items(entries: readonly (() => void)[]): void {
    for (let i = 0; i < entries.length; i += 1000) {
      const batch = entries.slice(i, i + 1000);
      if (batch.length === 1) {
        batch[0]!();
        this.op(0x73); // SETITEM
      } else {
        this.op(0x28);
        for (const e of batch) e();
        this.op(0x75); // SETITEMS
      }
    }
  }
  finish(): Uint8Array {
    this.op(0x2e); // STOP
    return Uint8Array.from(this.bytes);
  }
}

export function pickleStateDict(tensors: readonly PickledTensor[], moduleNames: readonly string[]): Uint8Array {
  const p = new PickleOut();
  p.op(0x80, 2); // PROTO 2
  p.orderedDict();
  p.items(
    tensors.map((t) => () => {
      p.str(t.name);
      p.global("torch._utils", "_rebuild_tensor_v2");
      const [module, cls] = [t.storage.cls.slice(0, t.storage.cls.lastIndexOf(".")), t.storage.cls.slice(t.storage.cls.lastIndexOf(".") + 1)];
      p.tuple([
        () => {
          p.tuple([() => p.str("storage"), () => p.global(module, cls), () => p.str(t.storage.key), () => p.str("cpu"), () => p.int(t.storage.numel)]);
          p.op(0x51); // BINPERSID
        },
        () => p.int(t.offset),
        () => p.tuple(t.shape.map((d) => () => p.int(d))),
        () => p.tuple(t.stride.map((d) => () => p.int(d))),
        () => p.op(0x89), // NEWFALSE: requires_grad
        () => p.orderedDict(), // backward hooks
      ]);
      p.op(0x52); // REDUCE
      p.put(p.fresh());
    }),
  );
  // state: {'_metadata': OrderedDict({'': {'version': 1}, 'transformer': {'version': 1}, …})}, then BUILD
  p.op(0x7d); // EMPTY_DICT
  p.put(p.fresh());
  p.str("_metadata");
  p.orderedDict();
  p.items(
    moduleNames.map((m) => () => {
      p.str(m);
      p.op(0x7d);
      p.put(p.fresh());
      p.str("version");
      p.int(1);
      p.op(0x73);
    }),
  );
  p.op(0x73); // SETITEM _metadata
  p.op(0x62); // BUILD
  return p.finish();
}
