/** The factory's in-memory tensors as a TensorSource, so its ONNX exports go through the converter's own recipes. */
import type { TensorInfo, TensorSource } from "../../src/convert/tensor-source.ts";
import { storedBytes, type StoredTensor } from "./stored-tensor.ts";

export function memoryTensorSource(tensors: readonly StoredTensor[], file = "memory"): TensorSource {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const infos = new Map<string, TensorInfo>(tensors.map((t) => [t.name, { name: t.name, shape: t.shape, dtype: t.dtype, file }]));
  const get = (name: string) => {
    const t = byName.get(name);
    if (!t) throw new Error(`no tensor ${name}`);
    return t;
  };
  return {
    tensors: infos,
    readFloat32: async (name) => get(name).values.slice(),
    readRaw: async (name) => storedBytes(get(name)),
    close: async () => {},
  };
}
