import type { GgufSelection, ModelDtype } from "../../registry/registry-entry.ts";
import type { DownloadKind, MarkerFile } from "./completion-marker.ts";

/** Where and how models are fetched from the Hugging Face hub (or a mirror behind HF_ENDPOINT). */
export interface HubSettings {
  endpoint: string;
  token: string;
  offline: boolean;
  /** Root of the model cache (already resolved from MODEL_CACHE_DIR / HF_HOME / XDG_CACHE_HOME). */
  cacheDir: string;
  /** The `pull` command as this user types it, for messages that tell them to run it (default `gpt3dev-api pull`). */
  pullCommand?: string;
}

export interface DownloadProgress {
  file: string;
  loadedBytes: number;
  totalBytes: number | null;
  bytesPerSecond: number;
}

export interface HubModelRequest {
  repo: string;
  revision: string;
  dtype: ModelDtype;
  /** embeddings models need no generation_config.json and may lack a chat template. */
  task: "text-generation" | "embeddings";
  /** Serve a GGUF model of the repo (only its file or shards are downloaded) rather than its export or checkpoint. */
  gguf?: GgufSelection;
}

/** How a download reports and gives up; the defaults suit the server, tests shorten them. */
export interface HubFetchOptions {
  /** Progress and status lines (default: stderr). */
  log?: (line: string) => void;
  /** Give up on a connection that sends nothing for this long (default 60 s). */
  idleTimeoutMs?: number;
}

/** A hub model in the local cache: its folder, what it holds, and the files its marker vouches for. */
export interface HubSource {
  dir: string;
  kind: DownloadKind;
  /** Paths relative to `dir`, with the sizes (and hashes) recorded at download; absent optional files have size null. For GGUF: its shards, in order. */
  files: MarkerFile[];
}
