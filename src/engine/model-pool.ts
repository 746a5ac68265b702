import type { Settings } from "../config/settings-spec.ts";
import type { BuildProgress } from "../convert/build-decoder.ts";
import { ConvertError } from "../convert/convert-error.ts";
import type { ModelSpec } from "../registry/registry-entry.ts";
import { EmbeddingModel } from "./embeddings/embedding-model.ts";
import { EngineError, ModelNotFound, ModelUnavailable } from "./engine-errors.ts";
import type { DownloadProgress, HubSettings } from "./hub/hub-types.ts";
import type { ModelAbout } from "./model-about.ts";
import { readModelConfig } from "./model-config.ts";
import { resolveModelFiles, unavailable } from "./model-files.ts";
import { loadTextModel, type TextModel } from "./text-model.ts";

export type LoadedModel = TextModel | EmbeddingModel;

export type ModelState =
  | { state: "not_loaded" }
  | { state: "downloading"; progress: DownloadProgress | null }
  /** Building a graph from a checkpoint's weights into the model cache (once; later loads reuse it). */
  | { state: "building"; progress: BuildProgress | null }
  | { state: "loading" }
  | { state: "loaded"; loadMs: number }
  | { state: "failed"; error: string };

/**
 * Models load lazily on first use, once (concurrent first requests share the same load), and stay shared.
 * A failed load is reported to the requests that waited for it and retried by the next request; other
 * models are unaffected.
 */
export class ModelPool {
  private readonly specs = new Map<string, ModelSpec>();
  private readonly loaded = new Map<string, LoadedModel>();
  private readonly loading = new Map<string, Promise<LoadedModel>>();
  private readonly states = new Map<string, ModelState>();
  private readonly abouts = new Map<string, ModelAbout>();
  /** Called with each finished load (name, milliseconds) for metrics and logs. */
  onLoad: (id: string, ms: number, model: LoadedModel) => void = () => {};

  constructor(
    specs: ModelSpec[],
    private readonly settings: Settings,
    private readonly hub: HubSettings,
  ) {
    for (const s of specs) this.specs.set(s.id, s);
  }

  list(): ModelSpec[] {
    return [...this.specs.values()];
  }

  spec(id: string): ModelSpec | undefined {
    return this.specs.get(id);
  }

  state(id: string): ModelState {
    return this.states.get(id) ?? { state: "not_loaded" };
  }

  /** What the model is (format, architecture, parameters, …) once its files have been seen. */
  about(id: string): ModelAbout | undefined {
    return this.abouts.get(id);
  }

  peek(id: string): LoadedModel | undefined {
    return this.loaded.get(id);
  }

  loadedModels(): LoadedModel[] {
    return [...this.loaded.values()];
  }

  async get(id: string): Promise<LoadedModel> {
    const ready = this.loaded.get(id);
    if (ready) return ready;
    const spec = this.specs.get(id);
    if (!spec) throw new ModelNotFound(id);
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.load(spec).finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  private async load(spec: ModelSpec): Promise<LoadedModel> {
    const started = performance.now();
    this.states.set(spec.id, spec.source.kind === "hub" ? { state: "downloading", progress: null } : { state: "loading" });
    try {
      const files = await resolveModelFiles(spec, this.hub, {
        onDownload: (progress) => this.states.set(spec.id, { state: "downloading", progress }),
        onBuild: (progress) => this.states.set(spec.id, { state: "building", progress }),
      });
      this.states.set(spec.id, { state: "loading" });
      const config = await readModelConfig(files.dir, spec, files.origin);
      this.abouts.set(spec.id, files.origin === "export" ? { ...files.about, architecture: config.modelType } : files.about);
      const model = spec.task === "embeddings"
        ? await EmbeddingModel.load(spec, files, config, this.settings)
        : await loadTextModel(spec, files, config, this.settings);
      const ms = performance.now() - started;
      this.loaded.set(spec.id, model);
      this.states.set(spec.id, { state: "loaded", loadMs: ms });
      this.onLoad(spec.id, ms, model);
      return model;
    } catch (err) {
      const error = loadFailure(spec, err);
      this.states.set(spec.id, { state: "failed", error: error.message });
      throw error;
    }
  }

  /** Sequences generating and requests waiting, over every loaded model. */
  stats(): { activeSequences: number; queued: number } {
    let activeSequences = 0;
    let queued = 0;
    for (const m of this.loaded.values()) {
      if (m.kind !== "text-generation") continue;
      const s = m.scheduler.stats();
      activeSequences += s.activeSequences;
      queued += s.queued;
    }
    return { activeSequences, queued };
  }
}

/**
 * A failed load as the engine reports it: its own errors as they are, the converter's as the model being
 * unavailable with the converter's code (unsupported_architecture, checkpoint_invalid, …), anything else
 * (onnxruntime, a bad file) as model_unavailable with its first line.
 */
export function loadFailure(spec: ModelSpec, err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  if (err instanceof ConvertError) {
    const where = err.file !== null && !err.message.includes(err.file) ? ` (${err.file})` : "";
    return new ModelUnavailable(spec.id, err.code, unavailable(spec, `${describe(err).replace(/\.$/, "")}${where}`).message);
  }
  return unavailable(spec, describe(err));
}

function describe(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  // onnxruntime and out-of-memory messages can be long; the first line says what happened.
  return msg.split("\n")[0]!.slice(0, 500);
}
