/**
 * A small typed builder for ONNX graphs: named inputs/outputs, initializers and one method per operator we use,
 * so an architecture reads like the math (`b.matmul(x, w)`) rather than like protobuf. Values are referred to by
 * their tensor names (strings), exactly as in ONNX.
 *
 * Weights are lazy initializers: the builder records their type, shape and a producer; the model writer
 * (model-writer.ts) loads, writes and forgets them one at a time, so a graph never holds its weights.
 */
import {
  DataType,
  DATA_TYPE_SIZE,
  type AttributeProto,
  type AttributeValue,
  type DataTypeCode,
  type Dim,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from "./onnx-proto.ts";

/** ONNX default-domain opset: 17 has LayerNormalization and is fully supported by onnxruntime 1.30's CPU provider. */
export const OPSET = 17;
/** IR version 8 goes with opset 17. */
const IR_VERSION = 8;
/** onnxruntime's contrib operators (MatMulNBits, GroupQueryAttention, …) live in this domain, at version 1. */
export const MICROSOFT_DOMAIN = "com.microsoft";

export type ElemType = "float32" | "float16" | "bfloat16" | "int64" | "int32" | "uint8" | "bool";
export const ELEM_TYPE: Record<ElemType, DataTypeCode> = {
  float32: DataType.FLOAT,
  float16: DataType.FLOAT16,
  bfloat16: DataType.BFLOAT16,
  int64: DataType.INT64,
  int32: DataType.INT32,
  uint8: DataType.UINT8,
  bool: DataType.BOOL,
};

/** A tensor name in the graph. */
export type Value = string;

/** Plain numbers are INT attributes; floats must be wrapped with `float()` so 1.0 is never mistaken for 1. */
export type Attr = number | readonly number[] | string | AttributeValue;
export const float = (value: number): AttributeValue => ({ type: "float", value });
export const floats = (value: readonly number[]): AttributeValue => ({ type: "floats", value });

export interface OpOptions {
  /** Operator domain; "" (default) is standard ONNX. */
  domain?: string;
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("ONNX raw_data is little-endian; this writer assumes a little-endian host");
}

function bytesOf(data: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function toAttribute(name: string, a: Attr): AttributeProto {
  if (typeof a === "number") return { name, value: { type: "int", value: a } };
  if (typeof a === "string") return { name, value: { type: "string", value: a } };
  if (Array.isArray(a)) return { name, value: { type: "ints", value: a as readonly number[] } };
  return { name, value: a as AttributeValue };
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly constCache = new Map<string, Value>();
  private readonly scopes: string[] = [];
  /** Values some node produces: a graph output that is one of them takes its name by renaming, not an Identity. */
  private readonly produced = new Set<Value>();
  private readonly renames = new Map<Value, string>();
  private readonly domains = new Set<string>();
  private counter = 0;

  constructor(private readonly name: string) {}

  // ---- graph interface -------------------------------------------------------------------------

  input(name: string, type: ElemType, shape: readonly Dim[]): Value {
    this.inputs.push({ name, elemType: ELEM_TYPE[type], shape });
    return name;
  }

  /** Declares a graph output named `name` for `value`: the producing node's output is renamed (no Identity node). */
  output(value: Value, name: string, type: ElemType, shape: readonly Dim[]): void {
    if (value !== name) {
      if (this.produced.has(value) && !this.renames.has(value)) this.renames.set(value, name);
      else this.nodes.push(this.makeNode("Identity", [value], [name], {}));
    }
    this.outputs.push({ name, elemType: ELEM_TYPE[type], shape });
  }

  /** An initializer whose bytes are given now (constants, small tables). */
  initializer(name: string, dims: readonly number[], data: Float32Array | BigInt64Array): Value {
    if (data.length !== elementCount(dims)) throw new Error(`initializer ${name}: ${data.length} values for dims [${dims}]`);
    const dataType = data instanceof Float32Array ? DataType.FLOAT : DataType.INT64;
    this.initializers.push({ name, dataType, dims, data: { kind: "raw", bytes: bytesOf(data) } });
    return name;
  }

  /** A weight whose bytes `produce` returns when the model is written (little-endian elements of `type`). */
  lazyInitializer(name: string, type: ElemType, dims: readonly number[], produce: () => Promise<Uint8Array>): Value {
    const dataType = ELEM_TYPE[type];
    const byteLength = elementCount(dims) * DATA_TYPE_SIZE[dataType];
    this.initializers.push({ name, dataType, dims, data: { kind: "lazy", byteLength, produce } });
    return name;
  }

  /** An int64 constant (shapes, axes, indices), shared between uses. `dims` defaults to a 1-D tensor; [] is a scalar. */
  int64s(values: readonly number[], dims: readonly number[] = [values.length]): Value {
    const key = `i64:${dims.join("x")}:${values.join(",")}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = this.initializer(`const.${this.constCache.size}`, dims, BigInt64Array.from(values, (v) => BigInt(v)));
      this.constCache.set(key, name);
    }
    return name;
  }

  /** A float32 scalar constant, shared between uses. */
  scalar(value: number): Value {
    const key = `f32:${value}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = this.initializer(`const.${this.constCache.size}`, [], Float32Array.of(value));
      this.constCache.set(key, name);
    }
    return name;
  }

  /** Runs `body` with node names prefixed by `scope` (e.g. "layers.0/attn"), which makes graphs readable in Netron. */
  scope<T>(scope: string, body: () => T): T {
    this.scopes.push(scope);
    try {
      return body();
    } finally {
      this.scopes.pop();
    }
  }

  // ---- nodes -----------------------------------------------------------------------------------

  /** Any single-output operator. */
  op(opType: string, inputs: readonly Value[], attrs: Record<string, Attr> = {}, options: OpOptions = {}): Value {
    return this.opN(opType, inputs, 1, attrs, options)[0]!;
  }

  /** Any operator with `outputCount` outputs. An empty input name ("") skips an optional input, as in ONNX. */
  opN(opType: string, inputs: readonly Value[], outputCount: number, attrs: Record<string, Attr> = {}, options: OpOptions = {}): Value[] {
    const base = this.uniqueName(opType);
    const outputs = Array.from({ length: outputCount }, (_, i) => (outputCount === 1 ? base : `${base}:${i}`));
    const node = this.makeNode(opType, inputs, outputs, attrs, base);
    if (options.domain) {
      node.domain = options.domain;
      this.domains.add(options.domain);
    }
    this.nodes.push(node);
    for (const o of outputs) this.produced.add(o);
    return outputs;
  }

  add = (a: Value, b: Value): Value => this.op("Add", [a, b]);
  sub = (a: Value, b: Value): Value => this.op("Sub", [a, b]);
  mul = (a: Value, b: Value): Value => this.op("Mul", [a, b]);
  div = (a: Value, b: Value): Value => this.op("Div", [a, b]);
  matmul = (a: Value, b: Value): Value => this.op("MatMul", [a, b]);
  neg = (x: Value): Value => this.op("Neg", [x]);
  sqrt = (x: Value): Value => this.op("Sqrt", [x]);
  tanh = (x: Value): Value => this.op("Tanh", [x]);
  sigmoid = (x: Value): Value => this.op("Sigmoid", [x]);
  relu = (x: Value): Value => this.op("Relu", [x]);
  cos = (x: Value): Value => this.op("Cos", [x]);
  sin = (x: Value): Value => this.op("Sin", [x]);
  shape = (x: Value): Value => this.op("Shape", [x]);
  and = (a: Value, b: Value): Value => this.op("And", [a, b]);
  lessOrEqual = (a: Value, b: Value): Value => this.op("LessOrEqual", [a, b]);
  where = (cond: Value, a: Value, b: Value): Value => this.op("Where", [cond, a, b]);
  range = (start: Value, limit: Value, delta: Value): Value => this.op("Range", [start, limit, delta]);

  /** x @ w + bias, for x [..., in] and w [in, out]. */
  linear(x: Value, w: Value, bias?: Value): Value {
    const y = this.matmul(x, w);
    return bias ? this.add(y, bias) : y;
  }
  gather(data: Value, indices: Value, axis = 0): Value {
    return this.op("Gather", [data, indices], { axis });
  }
  /** Reshape to a fixed target; 0 copies the input dimension, -1 infers one. */
  reshape(x: Value, shape: readonly number[] | Value): Value {
    return this.op("Reshape", [x, typeof shape === "string" ? shape : this.int64s(shape)]);
  }
  transpose(x: Value, perm: readonly number[]): Value {
    return this.op("Transpose", [x], { perm });
  }
  unsqueeze(x: Value, axes: readonly number[]): Value {
    return this.op("Unsqueeze", [x, this.int64s(axes)]);
  }
  concat(xs: readonly Value[], axis: number): Value {
    return this.op("Concat", xs, { axis });
  }
  /** Equal-sized split into `parts` along `axis`. */
  split(x: Value, parts: number, axis: number): Value[] {
    return this.opN("Split", [x], parts, { axis });
  }
  /** Split into pieces of the given sizes along `axis`. */
  splitSizes(x: Value, sizes: readonly number[], axis: number): Value[] {
    return this.opN("Split", [x, this.int64s(sizes)], sizes.length, { axis });
  }
  /** x[starts:ends] along `axes`; starts/ends are constants or 1-D int64 values. */
  slice(x: Value, starts: readonly number[] | Value, ends: readonly number[] | Value, axes: readonly number[]): Value {
    const v = (s: readonly number[] | Value) => (typeof s === "string" ? s : this.int64s(s));
    return this.op("Slice", [x, v(starts), v(ends), this.int64s(axes)]);
  }
  softmax(x: Value, axis = -1): Value {
    return this.op("Softmax", [x], { axis });
  }
  cast(x: Value, to: ElemType): Value {
    return this.op("Cast", [x], { to: ELEM_TYPE[to] });
  }
  expand(x: Value, shape: readonly number[]): Value {
    return this.op("Expand", [x, this.int64s(shape)]);
  }
  reduceMean(x: Value, axes: readonly number[]): Value {
    return this.op("ReduceMean", [x], { axes, keepdims: 1 });
  }
  /** Scalar: dimension `axis` of `x`'s shape. */
  dim(x: Value, axis: number): Value {
    return this.gather(this.shape(x), this.int64s([axis], []));
  }

  // ---- output ----------------------------------------------------------------------------------

  toModel(metadata: Readonly<Record<string, string>> = {}, producer = { name: "gpt3dev-api", version: "1" }): ModelProto {
    const rename = (v: Value) => this.renames.get(v) ?? v;
    const nodes = this.renames.size
      ? this.nodes.map((n) => ({ ...n, inputs: n.inputs.map(rename), outputs: n.outputs.map(rename) }))
      : this.nodes;
    return {
      irVersion: IR_VERSION,
      opsetImports: [{ domain: "", version: OPSET }, ...[...this.domains].map((domain) => ({ domain, version: 1 }))],
      producerName: producer.name,
      producerVersion: producer.version,
      graph: { name: this.name, nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs },
      metadata,
    };
  }

  private uniqueName(opType: string): string {
    const prefix = this.scopes.length ? `${this.scopes.join("/")}/` : "";
    return `${prefix}${opType}_${this.counter++}`;
  }

  private makeNode(
    opType: string,
    inputs: readonly Value[],
    outputs: readonly Value[],
    attrs: Record<string, Attr>,
    name = this.uniqueName(opType),
  ): { -readonly [K in keyof NodeProto]: NodeProto[K] } {
    const attributes = Object.entries(attrs).map(([k, v]) => toAttribute(k, v));
    return { opType, name, inputs, outputs, attributes };
  }
}

export type { Dim, ModelProto } from "./onnx-proto.ts";
