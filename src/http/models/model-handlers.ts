import type { ModelSpec } from "../../registry/registry-entry.ts";
import { ModelNotFound } from "../../engine/engine-errors.ts";
import type { ServerContext } from "../shared/server-context.ts";
import type { ModelDetail, ModelList, ModelObject } from "./model-schema.ts";

/** Registry entries have no creation date; the server's start time stands in, stable for its lifetime. */
const CREATED = Math.floor(Date.now() / 1000);

function modelObject(spec: ModelSpec): ModelObject {
  return { id: spec.id, object: "model", created: CREATED, owned_by: spec.ownedBy };
}

export function listModels(ctx: ServerContext): ModelList {
  return { object: "list", data: ctx.pool.list().map(modelObject) };
}

export function modelDetail(ctx: ServerContext, id: string): ModelDetail {
  const spec = ctx.pool.spec(id);
  if (!spec) throw new ModelNotFound(id);
  const loaded = ctx.pool.peek(id);
  const state = ctx.pool.state(id);
  const capabilities: ModelDetail["capabilities"] = [];
  if (spec.task === "embeddings") capabilities.push("embeddings");
  else {
    capabilities.push("completion");
    // Before loading we only know of an explicit template; once loaded, the tokenizer's own counts too.
    if (loaded ? loaded.kind === "text-generation" && loaded.tokenizer.chatTemplate : spec.chatTemplate) capabilities.push("chat");
  }
  const detail: ModelDetail = {
    ...modelObject(spec),
    source: sourceOf(spec),
    task: spec.task,
    capabilities,
    max_model_len: loaded ? loaded.contextLength : spec.maxContextTokens,
    // once built, what the graph computes in (a GGUF file without a dtype in its entry runs at its own precision)
    dtype: ctx.pool.about(id)?.build?.dtype ?? spec.dtype,
    device: loaded ? loaded.device : spec.device,
    loaded: loaded !== undefined,
    state: state.state,
    metadata: spec.metadata,
  };
  if (state.state === "downloading" && state.progress) {
    const p = state.progress;
    detail.download = { file: p.file, loaded_bytes: p.loadedBytes, total_bytes: p.totalBytes, percent: p.totalBytes ? Math.round((1000 * p.loadedBytes) / p.totalBytes) / 10 : null };
  }
  if (state.state === "building" && state.progress) {
    const p = state.progress;
    detail.build_progress = {
      tensors_done: p.tensorsDone,
      tensors_total: p.tensorsTotal,
      bytes_done: p.bytesDone,
      bytes_total: p.bytesTotal,
      percent: p.bytesTotal ? Math.round((1000 * p.bytesDone) / p.bytesTotal) / 10 : null,
    };
  }
  if (state.state === "failed") detail.error = state.error;
  const about = ctx.pool.about(id);
  if (about) {
    detail.format = about.format;
    detail.architecture = about.architecture;
    detail.parameters = about.parameters;
    if (about.build) detail.build = { dtype: about.build.dtype, weight_bytes: about.build.weightBytes, seconds: about.build.seconds, built_at: about.build.builtAt };
    if (about.gguf) {
      const g = about.gguf;
      detail.gguf = { files: g.files, file_type: g.fileType, precision: g.precision, tensor_types: g.tensorTypes, stored_bytes: g.storedBytes, float32_bytes: g.float32Bytes };
    }
  }
  return detail;
}

function sourceOf(spec: ModelSpec): ModelDetail["source"] {
  const s = spec.source;
  if (s.kind === "local") return { path: s.path };
  const gguf = s.gguf ? ("file" in s.gguf ? { file: s.gguf.file } : { quantization: s.gguf.quant }) : {};
  return { hf_repo: s.repo, revision: s.revision, ...gguf };
}
