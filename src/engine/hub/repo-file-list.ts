import type { HubModelRequest } from "./hub-types.ts";
import { onnxExternalDataName, onnxFileName } from "./onnx-file-name.ts";

export interface RepoFile {
  /** Path inside the repo, which is also the path inside the cached folder. */
  path: string;
  /** A missing optional file (404) is recorded as absent; a missing required one fails the download. */
  required: boolean;
}

/**
 * The files a model folder needs, in download order: small JSON first so a wrong repo, revision or token fails
 * in milliseconds rather than after the ONNX file, then the graph and its external data.
 */
export function repoFileList(req: HubModelRequest): RepoFile[] {
  return [
    { path: "config.json", required: true },
    { path: "generation_config.json", required: false },
    { path: "tokenizer.json", required: true },
    { path: "tokenizer_config.json", required: false },
    { path: "special_tokens_map.json", required: false },
    { path: onnxFileName(req.dtype), required: true },
    { path: onnxExternalDataName(req.dtype), required: false },
  ];
}
