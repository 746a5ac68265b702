/**
 * A restricted pickle machine: only the opcodes a protocol 2–4 state dict uses (containers, ints, floats, strings,
 * memo, globals, REDUCE, BUILD, persistent ids). It never imports or calls anything: what a global *is*, what
 * REDUCE and BUILD *do* and what a persistent id *means* are decided by hooks (torch-pickle.ts), which refuse
 * everything they do not know. Any other opcode is refused with the offset where it appears.
 */
import { ConvertError } from "../convert-error.ts";

export class Tuple {
  constructor(readonly items: PickleValue[]) {}
}
export class Dict {
  readonly entries = new Map<string | number, PickleValue>();
}
/** A value only the hooks understand (a global's name, a storage, a tensor record). */
export interface Opaque {
  readonly kind: string;
}
export type PickleValue = null | boolean | number | bigint | string | PickleValue[] | Tuple | Dict | Opaque;

export type Fail = (at: number, problem: string) => ConvertError;

export interface PickleHooks {
  global(name: string, at: number, fail: Fail): PickleValue;
  reduce(fn: PickleValue, args: PickleValue, at: number, fail: Fail): PickleValue;
  persistentLoad(pid: PickleValue, at: number, fail: Fail): PickleValue;
  /** BUILD: `state` applied to `target`. */
  build(target: PickleValue, state: PickleValue, at: number, fail: Fail): void;
}

const MARK = Symbol("mark");
type Slot = PickleValue | typeof MARK;

export function runPickle(bytes: Uint8Array, file: string, hooks: PickleHooks): PickleValue {
  const fail: Fail = (at, problem) => new ConvertError("checkpoint_invalid", `${file}: ${problem} (at byte ${at})`, file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const stack: Slot[] = [];
  const memo = new Map<number, PickleValue>();
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
  const setItems = (target: PickleValue, items: PickleValue[], at: number) => {
    if (!(target instanceof Dict)) throw fail(at, "SETITEMS on something that is not a dict");
    if (items.length % 2) throw fail(at, "SETITEMS with an odd number of items");
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i]!;
      if (typeof key !== "string" && typeof key !== "number") throw fail(at, "a dict key is not a string or an int");
      target.entries.set(key, items[i + 1]!);
    }
  };
  const appendTo = (target: PickleValue, items: PickleValue[], at: number) => {
    if (!Array.isArray(target)) throw fail(at, "APPEND to something that is not a list");
    target.push(...items);
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
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const items: PickleValue[] = [];
        for (let i = 0; i < op - 0x84; i++) items.unshift(pop(at));
        stack.push(new Tuple(items));
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop(at);
        appendTo(top(at), [v], at);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark(at);
        appendTo(top(at), items, at);
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
        stack.push(hooks.global(name, at, fail));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop(at);
        const module = pop(at);
        if (typeof name !== "string" || typeof module !== "string") throw fail(at, "STACK_GLOBAL without module and name strings");
        stack.push(hooks.global(`${module}.${name}`, at, fail));
        break;
      }
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop(at), at, fail));
        break;
      case 0x52: {
        // REDUCE
        const args = pop(at);
        const fn = pop(at);
        stack.push(hooks.reduce(fn, args, at, fail));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop(at);
        hooks.build(top(at), state, at, fail);
        break;
      }
      default:
        throw fail(at, `pickle opcode 0x${op.toString(16).padStart(2, "0")} is not one torch.save writes for tensors; refused`);
    }
  }
}
