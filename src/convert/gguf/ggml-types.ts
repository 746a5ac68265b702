/**
 * ggml's tensor element types as GGUF stores them (ggml/include/ggml.h `ggml_type`, sizes from ggml-common.h):
 * each type packs `blockSize` weights into `blockBytes` bytes. Every id a file may carry is known here so a tensor
 * of a type we do not decode is named in its error, rather than refused as garbage.
 */
export interface GgmlType {
  id: number;
  name: string;
  /** Weights per block (1 for plain element types). */
  blockSize: number;
  /** Bytes per block. */
  blockBytes: number;
}

const QK_K = 256;

const TYPES: readonly GgmlType[] = [
  { id: 0, name: "F32", blockSize: 1, blockBytes: 4 },
  { id: 1, name: "F16", blockSize: 1, blockBytes: 2 },
  { id: 2, name: "Q4_0", blockSize: 32, blockBytes: 2 + 16 },
  { id: 3, name: "Q4_1", blockSize: 32, blockBytes: 2 + 2 + 16 },
  { id: 6, name: "Q5_0", blockSize: 32, blockBytes: 2 + 4 + 16 },
  { id: 7, name: "Q5_1", blockSize: 32, blockBytes: 2 + 2 + 4 + 16 },
  { id: 8, name: "Q8_0", blockSize: 32, blockBytes: 2 + 32 },
  { id: 9, name: "Q8_1", blockSize: 32, blockBytes: 4 + 4 + 32 },
  { id: 10, name: "Q2_K", blockSize: QK_K, blockBytes: 2 + 2 + QK_K / 16 + QK_K / 4 },
  { id: 11, name: "Q3_K", blockSize: QK_K, blockBytes: 2 + QK_K / 4 + QK_K / 8 + 12 },
  { id: 12, name: "Q4_K", blockSize: QK_K, blockBytes: 2 + 2 + 12 + QK_K / 2 },
  { id: 13, name: "Q5_K", blockSize: QK_K, blockBytes: 2 + 2 + 12 + QK_K / 8 + QK_K / 2 },
  { id: 14, name: "Q6_K", blockSize: QK_K, blockBytes: QK_K / 2 + QK_K / 4 + QK_K / 16 + 2 },
  { id: 15, name: "Q8_K", blockSize: QK_K, blockBytes: 4 + QK_K + (QK_K / 16) * 2 },
  { id: 16, name: "IQ2_XXS", blockSize: QK_K, blockBytes: 2 + QK_K / 4 },
  { id: 17, name: "IQ2_XS", blockSize: QK_K, blockBytes: 2 + QK_K / 4 + QK_K / 32 },
  { id: 18, name: "IQ3_XXS", blockSize: QK_K, blockBytes: 2 + QK_K / 4 + QK_K / 8 },
  { id: 19, name: "IQ1_S", blockSize: QK_K, blockBytes: 2 + QK_K / 8 + QK_K / 16 },
  { id: 20, name: "IQ4_NL", blockSize: 32, blockBytes: 2 + 16 },
  { id: 21, name: "IQ3_S", blockSize: QK_K, blockBytes: 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4 },
  { id: 22, name: "IQ2_S", blockSize: QK_K, blockBytes: 2 + QK_K / 4 + QK_K / 16 },
  { id: 23, name: "IQ4_XS", blockSize: QK_K, blockBytes: 2 + 2 + QK_K / 2 + QK_K / 64 },
  { id: 24, name: "I8", blockSize: 1, blockBytes: 1 },
  { id: 25, name: "I16", blockSize: 1, blockBytes: 2 },
  { id: 26, name: "I32", blockSize: 1, blockBytes: 4 },
  { id: 27, name: "I64", blockSize: 1, blockBytes: 8 },
  { id: 28, name: "F64", blockSize: 1, blockBytes: 8 },
  { id: 29, name: "IQ1_M", blockSize: QK_K, blockBytes: QK_K / 8 + QK_K / 16 + QK_K / 32 },
  { id: 30, name: "BF16", blockSize: 1, blockBytes: 2 },
  { id: 34, name: "TQ1_0", blockSize: QK_K, blockBytes: 2 + 4 * 13 },
  { id: 35, name: "TQ2_0", blockSize: QK_K, blockBytes: 2 + 64 },
  { id: 39, name: "MXFP4", blockSize: 32, blockBytes: 1 + 16 },
  { id: 40, name: "NVFP4", blockSize: 64, blockBytes: 4 + 32 },
  { id: 41, name: "Q1_0", blockSize: 128, blockBytes: 2 + 16 },
  { id: 42, name: "Q2_0", blockSize: 64, blockBytes: 2 + 16 },
];

const BY_ID = new Map(TYPES.map((t) => [t.id, t]));

export function ggmlType(id: number): GgmlType | undefined {
  return BY_ID.get(id);
}

/**
 * `general.file_type` (llama.h `llama_ftype`): what llama-quantize was asked for, e.g. 15 = Q4_K_M. The mixture
 * names (_S / _M / _L) exist only here; the tensors themselves carry plain ggml types.
 */
const FILE_TYPES: Readonly<Record<number, string>> = {
  0: "F32",
  1: "F16",
  2: "Q4_0",
  3: "Q4_1",
  7: "Q8_0",
  8: "Q5_0",
  9: "Q5_1",
  10: "Q2_K",
  11: "Q3_K_S",
  12: "Q3_K_M",
  13: "Q3_K_L",
  14: "Q4_K_S",
  15: "Q4_K_M",
  16: "Q5_K_S",
  17: "Q5_K_M",
  18: "Q6_K",
  19: "IQ2_XXS",
  20: "IQ2_XS",
  21: "Q2_K_S",
  22: "IQ3_XS",
  23: "IQ3_XXS",
  24: "IQ1_S",
  25: "IQ4_NL",
  26: "IQ3_S",
  27: "IQ3_M",
  28: "IQ2_S",
  29: "IQ2_M",
  30: "IQ4_XS",
  31: "IQ1_M",
  32: "BF16",
  36: "TQ1_0",
  37: "TQ2_0",
  38: "MXFP4_MOE",
  39: "NVFP4",
  40: "Q1_0",
  41: "Q2_0",
};

export function fileTypeName(id: number): string | undefined {
  return FILE_TYPES[id];
}
