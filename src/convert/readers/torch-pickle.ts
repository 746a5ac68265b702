/**
 * What a torch.save state dict's `data.pkl` may contain, as hooks for the restricted pickle machine: only the
 * globals needed to describe tensors (`torch._utils._rebuild_tensor_v2`, `_rebuild_parameter`,
 * `collections.OrderedDict`, the typed storage classes), each a name compared against this list — never imported,
 * never called. Storages are persistent ids `('storage', class, key, location, numel)`; anything else is refused.
 */
import { Dict, runPickle, Tuple, type Fail, type Opaque, type PickleValue } from "./pickle-machine.ts";

export { Dict, Tuple, type PickleValue } from "./pickle-machine.ts";

/** A tensor as the pickle describes it: a view (offset, size, stride in elements) of a storage. */
export interface TensorRecord extends Opaque {
  kind: "tensor";
  storage: StorageRecord;
  offset: number;
  shape: number[];
  stride: number[];
}

/** A storage: the zip entry `data/{key}`, `numel` elements of `dtype`. */
export interface StorageRecord extends Opaque {
  kind: "storage";
  key: string;
  dtype: string;
  numel: number;
}

interface Global extends Opaque {
  kind: "global";
  name: string;
}

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

export function unpickleTorch(bytes: Uint8Array, file: string): PickleValue {
  const storages = new Map<string, StorageRecord>();
  return runPickle(bytes, file, {
    global(name, at, fail) {
      if (!CALLABLES.has(name) && !(name in STORAGE_DTYPES)) {
        throw fail(at, `the pickle refers to ${name}, which is not a tensor record; only torch.save state dicts are read, nothing in them is run`);
      }
      return { kind: "global", name } satisfies Global;
    },
    persistentLoad(pid, at, fail) {
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
    },
    reduce: (fn, args, at, fail) => reduce(fn, args, at, fail),
    build(target, _state, at, fail) {
      // Only an OrderedDict's attributes (a state dict's `_metadata`), which are dropped.
      if (!(target instanceof Dict)) throw fail(at, "BUILD on something that is not an OrderedDict");
    },
  });
}

function reduce(fn: PickleValue, args: PickleValue, at: number, fail: Fail): PickleValue {
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
      const tensor: TensorRecord = { kind: "tensor", storage: s, offset, shape: size.items as number[], stride: stride.items as number[] };
      return tensor;
    }
  }
}

function isOpaque(v: PickleValue | undefined, kind: string): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Tuple) && !(v instanceof Dict) && v.kind === kind;
}
function isGlobal(v: PickleValue | undefined): v is Global {
  return isOpaque(v, "global");
}
function isStorage(v: PickleValue | undefined): v is StorageRecord {
  return isOpaque(v, "storage");
}
export function isTensor(v: PickleValue | undefined): v is TensorRecord {
  return isOpaque(v, "tensor");
}
function isCount(v: PickleValue | undefined): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
function isCounts(v: PickleValue | undefined): v is Tuple {
  return v instanceof Tuple && v.items.length <= 8 && v.items.every(isCount);
}
