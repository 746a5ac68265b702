// The two source patches that let the executable load onnxruntime-node without node_modules.
import { join } from "node:path";
import type { SourcePatch } from "./patch-source.ts";
import { repoRoot } from "./package-paths.ts";

export interface FilePatch extends SourcePatch {
  /** Matches the absolute path of the file the bundler loads. */
  file: RegExp;
  label: string;
}

const ortBindingLoader = join(repoRoot, "src", "platform", "ort-binding.ts");

export const DEPENDENCY_PATCHES: FilePatch[] = [
  {
    // transformers.js loads onnxruntime-node with createRequire(import.meta.url)(…), which the bundler leaves as a
    // run-time lookup in node_modules; a require of a literal makes Bun bundle it, and (unlike an import, which
    // would be hoisted) keeps the place where the module is evaluated.
    label: "transformers.js: static import of onnxruntime-node",
    file: /[\\/]@huggingface[\\/]transformers[\\/]dist[\\/]transformers\.node\.mjs$/,
    writtenFor: "@huggingface/transformers 4.3.1",
    find: 'var onnx_node_default = requireFromHere("onnxruntime-node");',
    replace: 'var onnx_node_default = require("onnxruntime-node");',
  },
  {
    // The binding is required from beside binding.js (inside the executable's virtual file system, where its
    // libonnxruntime.so.1 is not found); load the copy extracted next to the library instead.
    label: "onnxruntime-node: binding from the extraction folder",
    file: /[\\/]onnxruntime-node[\\/]dist[\\/]binding\.js$/,
    writtenFor: "onnxruntime-node 1.30.0",
    find: "require(`../bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`);",
    replace: `require(${JSON.stringify(ortBindingLoader)}).loadOrtBinding();`,
  },
];
