/**
 * The subset of the ONNX protobuf schema (onnx/onnx.proto) this project writes, as plain TypeScript types, and
 * their encoders. Field numbers are onnx.proto's; only fields we set are listed.
 */
import { ProtoWriter } from "./protobuf-writer.ts";

/** TensorProto.DataType values. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  BFLOAT16: 16,
} as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** Bytes per element of each data type. */
export const DATA_TYPE_SIZE: Record<DataTypeCode, number> = { 1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 9: 1, 10: 2, 16: 2 };

/** A dimension is a fixed size or a symbolic name such as "batch_size". */
export type Dim = number | string;

/**
 * Where a tensor's bytes are: inline (raw_data), in the external data file beside the model, or not produced yet
 * (a weight the model writer loads, writes and forgets one at a time).
 */
export type TensorData =
  | { kind: "raw"; bytes: Uint8Array }
  | { kind: "external"; location: string; offset: number; length: number }
  | { kind: "lazy"; byteLength: number; produce: () => Promise<Uint8Array> };

export interface TensorProto {
  name: string;
  dataType: DataTypeCode;
  dims: readonly number[];
  data: TensorData;
}

export type AttributeValue =
  | { type: "float"; value: number }
  | { type: "int"; value: number }
  | { type: "string"; value: string }
  | { type: "tensor"; value: TensorProto }
  | { type: "floats"; value: readonly number[] }
  | { type: "ints"; value: readonly number[] };

export interface AttributeProto {
  name: string;
  value: AttributeValue;
}

export interface NodeProto {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: readonly AttributeProto[];
  /** "" (the default ONNX domain) or e.g. "com.microsoft" for onnxruntime's contrib operators. */
  domain?: string;
}

export interface ValueInfoProto {
  name: string;
  elemType: DataTypeCode;
  shape: readonly Dim[];
}

export interface GraphProto {
  name: string;
  nodes: readonly NodeProto[];
  initializers: readonly TensorProto[];
  inputs: readonly ValueInfoProto[];
  outputs: readonly ValueInfoProto[];
}

export interface ModelProto {
  irVersion: number;
  opsetImports: readonly { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  graph: GraphProto;
  metadata?: Readonly<Record<string, string>>;
}

/** AttributeProto.AttributeType values. */
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;
/** TensorProto.DataLocation.EXTERNAL */
const DATA_LOCATION_EXTERNAL = 1;

const entry = (key: string, value: string) => new ProtoWriter().string(1, key).string(2, value); // StringStringEntryProto

export function encodeTensor(t: TensorProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int64(1, d); // dims (repeated int64, unpacked as proto2 declares it)
  w.int64(2, t.dataType); // data_type
  w.string(8, t.name); // name
  const data = t.data;
  switch (data.kind) {
    case "raw":
      w.bytes(9, data.bytes); // raw_data
      break;
    case "external":
      w.message(13, entry("location", data.location));
      w.message(13, entry("offset", String(data.offset)));
      w.message(13, entry("length", String(data.length)));
      w.int64(14, DATA_LOCATION_EXTERNAL);
      break;
    case "lazy":
      throw new Error(`tensor ${t.name}: its bytes were never produced (write the model with writeModel)`);
  }
  return w;
}

function encodeAttribute(a: AttributeProto): ProtoWriter {
  const w = new ProtoWriter().string(1, a.name);
  const v = a.value;
  switch (v.type) {
    case "float":
      w.float32(2, v.value);
      break;
    case "int":
      w.int64(3, v.value);
      break;
    case "string":
      w.string(4, v.value);
      break;
    case "tensor":
      w.message(5, encodeTensor(v.value));
      break;
    case "floats":
      for (const f of v.value) w.float32(7, f);
      break;
    case "ints":
      for (const i of v.value) w.int64(8, i);
      break;
  }
  return w.int64(20, ATTRIBUTE_TYPE[v.type]);
}

function encodeNode(n: NodeProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const a of n.attributes) w.message(5, encodeAttribute(a));
  if (n.domain) w.string(7, n.domain);
  return w;
}

function encodeValueInfo(v: ValueInfoProto): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    const dim = new ProtoWriter();
    if (typeof d === "number") dim.int64(1, d); // dim_value
    else dim.string(2, d); // dim_param
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int64(1, v.elemType).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType); // TypeProto.tensor_type
  return new ProtoWriter().string(1, v.name).message(2, type);
}

function encodeGraph(g: GraphProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, encodeTensor(t));
  for (const i of g.inputs) w.message(11, encodeValueInfo(i));
  for (const o of g.outputs) w.message(12, encodeValueInfo(o));
  return w;
}

/** Encodes a model whose tensors are all raw or external; the result is chunks (large tensors by reference) to write in order. */
export function encodeModel(m: ModelProto): Uint8Array[] {
  const w = new ProtoWriter().int64(1, m.irVersion);
  w.string(2, m.producerName).string(3, m.producerVersion);
  w.message(7, encodeGraph(m.graph));
  for (const op of m.opsetImports) w.message(8, new ProtoWriter().string(1, op.domain).int64(2, op.version));
  for (const [key, value] of Object.entries(m.metadata ?? {})) w.message(14, entry(key, value));
  return w.finish();
}
