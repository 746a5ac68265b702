/**
 * A restricted unpickler for the `data.pkl` that torch.save writes: it knows only the opcodes such a file uses
 * (protocols 2–4: containers, ints, floats, strings, memo, persistent ids) and only the globals needed to describe
 * tensors (`torch._utils._rebuild_tensor_v2`, `_rebuild_parameter`, `collections.OrderedDict`, the typed storage
 * classes). Nothing is ever called or imported: a global is a name compared against that list, and anything
 * else — another global, another opcode — is refused with the offset where it appears.
 */
import { ConvertError } from "../convert-error.ts";

/** A tensor as the pickle describes it: a view (offset, size, stride in elements) of a storage. */
export interface TensorRecord {
  kind: "tensor";
  storage: StorageRecord;
  offset: number;
  shape: number[];
  stride: number[];
}

/** A storage: the zip entry `data/{key}`, `numel` elements of `dtype`. */
export interface StorageRecord {
  kind: "storage";
  key: string;
  dtype: string;
  numel: number;
}

export class Tuple {
  constructor(readonly items: PickleValue[]) {}
}
export class Dict {
  readonly entries = new Map<string | number, PickleValue>();
}
interface Global {
  kind: "global";
  name: string;
}
export type PickleValue = null | boolean | number | bigint | string | PickleValue[] | Tuple | Dict | Global | StorageRecord | TensorRecord;

/** Storage classes → safetensors dtype names. */
const STORAGE_DTYPES: Readonly<Record<string, string>> = {
  "torch.FloatStorage": "F32",
  "torch.HalfStorage": "F16",
  "torch.BFloat16Storage": "BF16",
  "torch.DoubleStorage": "F64",
  "torch.LongStorage": "I64",
  "torch.IntStorage": "I32",
  "torch.ShortStorage": "I16",
  "torch.CharStorage": "I8",
  "torch.ByteStorage": "U8",
  "torch.BoolStorage": "BOOL",
};
const CALLABLES = new Set(["torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter", "collections.OrderedDict"]);

const MARK = Symbol("mark");
type Slot = PickleValue | typeof MARK;

export function unpickleTorch(bytes: Uint8Array, file: string): PickleValue {
  const fail = (at: number, problem: string) => new ConvertError("checkpoint_invalid", `${file}: ${problem} (at byte ${at})`, file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const stack: Slot[] = [];
  const memo = new Map<number, PickleValue>();
  const storages = new Map<string, StorageRecord>();
  let p = 0;

  const need = (n: number, at: number) => {
    if (p + n > bytes.byteLength) throw fail(at, "the pickle ends in the middle of an instruction (truncated?)");
  };
  const pop = (at: number): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw fail(at, "the pickle pops from an empty stack");
    return v;
  };
  const top = (at: number): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw fail(at, "the pickle reads an empty stack");
    return v;
  };
  const popMark = (at: number): PickleValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw fail(at, "the pickle has no MARK to pop to");
    const items = stack.splice(i) as PickleValue[];
    items.shift();
    return items;
  };
  const text = (start: number, length: number, at: number) => {
    need(length, at);
    try {
      return decoder.decode(bytes.subarray(start, start + length));
    } catch {
      throw fail(at, "a string is not UTF-8");
    }
  };
  const global = (name: string, at: number): Global => {
    if (!CALLABLES.has(name) && !(name in STORAGE_DTYPES)) {
      throw fail(at, `the pickle refers to ${name}, which is not a tensor record; only torch.save state dicts are read, nothing in them is run`);
    }
    return { kind: "global", name };
  };
  const setItems = (target: PickleValue, items: PickleValue[], at: number) => {
    if (!(target instanceof Dict)) throw fail(at, "SETITEMS on something that is not a dict");
    if (items.length % 2) throw fail(at, "SETITEMS with an odd number of items");
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i]!;
      if (typeof key !== "string" && typeof key !== "number") throw fail(at, "a dict key is not a string or an int");
      target.entries.set(key, items[i + 1]!);
    }
  };

  for (;;) {
    const at = p;
    need(1, at);
    const op = bytes[p++]!;
    switch (op) {
      case 0x80: // PROTO
        need(1, at);
        if (bytes[p]! > 5) throw fail(at, `pickle protocol ${bytes[p]} is not supported`);
        p += 1;
        break;
      case 0x95: // FRAME: a length hint only
        need(8, at);
        p += 8;
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) throw fail(at, "the pickle stops with a malformed stack");
        return pop(at);
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        pop(at);
        break;
      case 0x31: // POP_MARK
        popMark(at);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Dict());
        break;
      case 0x64: {
        // DICT
        const d = new Dict();
        setItems(d, popMark(at), at);
        stack.push(d);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark(at));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new Tuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new Tuple(popMark(at)));
        break;
      case 0x85:
      case 0x86:
      case 0x87: {
        // TUPLE1..3
        const n = op - 0x84;
        const items: PickleValue[] = [];
        for (let i = 0; i < n; i++) items.unshift(pop(at));
        stack.push(new Tuple(items));
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop(at);
        const list = top(at);
        if (!Array.isArray(list)) throw fail(at, "APPEND to something that is not a list");
        list.push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark(at);
        const list = top(at);
        if (!Array.isArray(list)) throw fail(at, "APPENDS to something that is not a list");
        list.push(...items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop(at);
        const k = pop(at);
        setItems(top(at), [k, v], at);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark(at);
        setItems(top(at), items, at);
        break;
      }
      case 0x71: // BINPUT
        need(1, at);
        memo.set(bytes[p++]!, top(at));
        break;
      case 0x72: // LONG_BINPUT
        need(4, at);
        memo.set(view.getUint32(p, true), top(at));
        p += 4;
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top(at));
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const long = op === 0x6a;
        need(long ? 4 : 1, at);
        const index = long ? view.getUint32(p, true) : bytes[p]!;
        p += long ? 4 : 1;
        const v = memo.get(index);
        if (v === undefined) throw fail(at, `the pickle reads memo ${index}, which was never stored`);
        stack.push(v);
        break;
      }
      case 0x4a: // BININT
        need(4, at);
        stack.push(view.getInt32(p, true));
        p += 4;
        break;
      case 0x4b: // BININT1
        need(1, at);
        stack.push(bytes[p++]!);
        break;
      case 0x4d: // BININT2
        need(2, at);
        stack.push(view.getUint16(p, true));
        p += 2;
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement
        need(1, at);
        const n = bytes[p++]!;
        need(n, at);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[p + i]!);
        if (n > 0 && bytes[p + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        p += n;
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8, at);
        stack.push(view.getFloat64(p, false));
        p += 8;
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x58: {
        // BINUNICODE
        need(4, at);
        const n = view.getUint32(p, true);
        p += 4;
        stack.push(text(p, n, at));
        p += n;
        break;
      }
      case 0x8c: {
        // SHORT_BINUNICODE
        need(1, at);
        const n = bytes[p++]!;
        stack.push(text(p, n, at));
        p += n;
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const end1 = bytes.indexOf(0x0a, p);
        const end2 = end1 < 0 ? -1 : bytes.indexOf(0x0a, end1 + 1);
        if (end2 < 0 || end2 - p > 512) throw fail(at, "GLOBAL is malformed");
        const name = `${text(p, end1 - p, at)}.${text(end1 + 1, end2 - end1 - 1, at)}`;
        p = end2 + 1;
        stack.push(global(name, at));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop(at);
        const module = pop(at);
        if (typeof name !== "string" || typeof module !== "string") throw fail(at, "STACK_GLOBAL without module and name strings");
        stack.push(global(`${module}.${name}`, at));
        break;
      }
      case 0x51: {
        // BINPERSID: ('storage', storage class, key, location, numel)
        const pid = pop(at);
        stack.push(storage(pid, at));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop(at);
        const fn = pop(at);
        stack.push(reduce(fn, args, at));
        break;
      }
      case 0x62: {
        // BUILD: only an OrderedDict's attributes (a state dict's `_metadata`), which are dropped
        pop(at);
        if (!(top(at) instanceof Dict)) throw fail(at, "BUILD on something that is not an OrderedDict");
        break;
      }
      default:
        throw fail(at, `pickle opcode 0x${op.toString(16).padStart(2, "0")} is not one torch.save writes for tensors; refused`);
    }
  }

  function storage(pid: PickleValue, at: number): StorageRecord {
    const items = pid instanceof Tuple ? pid.items : [];
    const [tag, cls, key, location, numel] = items;
    if (items.length !== 5 || tag !== "storage" || !isGlobal(cls) || typeof key !== "string" || typeof location !== "string" || !isCount(numel)) {
      throw fail(at, "a persistent id is not a torch storage record");
    }
    const dtype = STORAGE_DTYPES[cls.name];
    if (!dtype) throw fail(at, `${cls.name} is not a storage class`);
    if (!/^[A-Za-z0-9_]{1,64}$/.test(key)) throw fail(at, `storage key ${JSON.stringify(key.slice(0, 80))} is not a plain name`);
    const seen = storages.get(key);
    if (seen) {
      if (seen.dtype !== dtype || seen.numel !== numel) throw fail(at, `storage ${key} is described twice, differently`);
      return seen;
    }
    const record: StorageRecord = { kind: "storage", key, dtype, numel };
    storages.set(key, record);
    return record;
  }

  function reduce(fn: PickleValue, args: PickleValue, at: number): PickleValue {
    if (!isGlobal(fn) || !CALLABLES.has(fn.name)) throw fail(at, "REDUCE of something that is not an allowed tensor constructor");
    if (!(args instanceof Tuple)) throw fail(at, `${fn.name} called without an argument tuple`);
    const a = args.items;
    switch (fn.name) {
      case "collections.OrderedDict":
        if (a.length !== 0) throw fail(at, "OrderedDict called with arguments");
        return new Dict();
      case "torch._utils._rebuild_parameter": {
        const data = a[0];
        if (a.length !== 3 || !isTensor(data)) throw fail(at, "_rebuild_parameter without a tensor");
        return data;
      }
      default: {
        // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        const [s, offset, size, stride] = a;
        if (a.length < 6 || a.length > 7 || !isStorage(s) || !isCount(offset) || !isCounts(size) || !isCounts(stride) || size.items.length !== stride.items.length) {
          throw fail(at, "_rebuild_tensor_v2 with arguments that are not (storage, offset, size, stride, …)");
        }
        return { kind: "tensor", storage: s, offset, shape: size.items as number[], stride: stride.items as number[] };
      }
    }
  }
}

function isGlobal(v: PickleValue | undefined): v is Global {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Tuple) && !(v instanceof Dict) && v.kind === "global";
}
function isStorage(v: PickleValue | undefined): v is StorageRecord {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Tuple) && !(v instanceof Dict) && v.kind === "storage";
}
export function isTensor(v: PickleValue | undefined): v is TensorRecord {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Tuple) && !(v instanceof Dict) && v.kind === "tensor";
}
function isCount(v: PickleValue | undefined): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
function isCounts(v: PickleValue | undefined): v is Tuple {
  return v instanceof Tuple && v.items.length <= 8 && v.items.every(isCount);
}
