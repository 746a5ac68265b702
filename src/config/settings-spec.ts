import { bool, bytes, duration, int, list, oneOf, str, type Parser } from "./setting-types.ts";

/**
 * Every setting of the server, in one table: the environment variable, the flag, the default and the help
 * line. `--help` and the parser are driven by this list; the README's table is written by hand, and
 * test/docs/readme-settings.test.ts fails when it misses a setting.
 */
interface Spec<T> {
  env: string;
  flag: string;
  default: T;
  parse: Parser<T>;
  help: string;
  /** Flag takes no value (`--flag` = true, `--no-flag` = false). */
  boolean?: boolean;
  /** Flag may repeat; values are appended. */
  repeatable?: boolean;
  /** Shown in --help instead of the literal default. */
  defaultLabel?: string;
}

function spec<T>(s: Spec<T>): Spec<T> {
  return s;
}

export const SETTINGS = {
  host: spec({ env: "HOST", flag: "--host", default: "127.0.0.1", parse: str, help: "Address to listen on (0.0.0.0 for all interfaces)" }),
  port: spec({ env: "PORT", flag: "--port", default: 8000, parse: int(0, 65535), help: "Port to listen on (0 picks a free port)" }),
  registryPath: spec({ env: "MODEL_REGISTRY_PATH", flag: "--registry", default: "", parse: str, help: "JSON or YAML file of model entries that add to or override the built-ins", defaultLabel: "none" }),
  modelAllowList: spec({ env: "MODEL_ALLOW_LIST", flag: "--model-allow-list", default: [] as string[], parse: list, help: "Serve, list and pull only these registry ids (comma-separated); an id not in the registry stops the server at start", defaultLabel: "none (every registry model)" }),
  includeDefaultModels: spec({ env: "INCLUDE_DEFAULT_MODELS", flag: "--include-default-models", default: true, parse: bool, boolean: true, help: "List the built-in GPT3-dev and GPT-2 entries as well as the registry file's" }),
  defaultDevice: spec({ env: "DEFAULT_DEVICE", flag: "--device", default: "auto" as "auto" | "cpu" | "cuda", parse: oneOf("auto", "cpu", "cuda"), help: "Where models run unless their entry says otherwise: auto, cpu or cuda" }),
  maxContextTokens: spec({ env: "MAX_CONTEXT_TOKENS", flag: "--max-context-tokens", default: 2048, parse: int(16, 1 << 24), help: "Context window when neither the entry nor the model config gives one" }),
  enableEmbeddings: spec({ env: "ENABLE_EMBEDDINGS_BACKEND", flag: "--enable-embeddings-backend", default: false, parse: bool, boolean: true, help: "Serve /v1/embeddings with the registry's embeddings models" }),
  corsAllowOrigins: spec({ env: "CORS_ALLOW_ORIGINS", flag: "--cors-allow-origins", default: [] as string[], parse: list, help: "Comma-separated origins allowed by CORS, or * for any", defaultLabel: "none (CORS off)" }),
  apiKeys: spec({ env: "API_KEYS", flag: "--api-key", default: [] as string[], parse: list, repeatable: true, help: "API keys clients must send as 'Authorization: Bearer KEY' (comma-separated; the flag repeats)", defaultLabel: "none (no auth)" }),
  apiKeysFile: spec({ env: "API_KEYS_FILE", flag: "--api-keys-file", default: "", parse: str, help: "File with one API key per line, added to API_KEYS", defaultLabel: "none" }),
  hfToken: spec({ env: "HF_TOKEN", flag: "--hf-token", default: "", parse: str, help: "Hugging Face token for private or gated repos", defaultLabel: "none" }),
  hfEndpoint: spec({ env: "HF_ENDPOINT", flag: "--hf-endpoint", default: "https://huggingface.co", parse: str, help: "Hub (or mirror) that models are downloaded from" }),
  hfOffline: spec({ env: "HF_HUB_OFFLINE", flag: "--offline", default: false, parse: bool, boolean: true, help: "Never touch the network; serve only cached or local models" }),
  cacheDir: spec({ env: "MODEL_CACHE_DIR", flag: "--cache-dir", default: "", parse: str, help: "Where downloaded models are kept", defaultLabel: "$HF_HOME/gpt3dev-api, else $XDG_CACHE_HOME/gpt3dev-api/models, else ~/.cache/gpt3dev-api/models" }),
  threads: spec({ env: "THREADS", flag: "--threads", default: 0, parse: int(0, 1024), help: "onnxruntime intra-op threads per model (0 = one per core)" }),
  maxBatchSize: spec({ env: "MAX_BATCH_SIZE", flag: "--max-batch-size", default: 16, parse: int(1, 1024), help: "Most sequences a model decodes at once, in both batching modes; a request needing more (n, best_of) is a 400" }),
  maxQueue: spec({ env: "MAX_QUEUE", flag: "--max-queue", default: 256, parse: int(0, 1_000_000), help: "Most requests waiting for room before new ones get 429 (0: never queue; a request that cannot start at once gets 429)" }),
  prefillChunk: spec({ env: "PREFILL_CHUNK_TOKENS", flag: "--prefill-chunk-tokens", default: 256, parse: int(16, 1 << 20), help: "Long prompts are prefilled in chunks of this many tokens, between decode steps" }),
  batching: spec({ env: "BATCHING", flag: "--batching", default: "continuous" as "continuous" | "naive", parse: oneOf("continuous", "naive"), help: "continuous (one batched step for all sequences) or naive (one loop per request, as a baseline)" }),
  maxBodyBytes: spec({ env: "MAX_BODY_BYTES", flag: "--max-body-bytes", default: 4 * 1024 * 1024, parse: bytes, help: "Largest request body accepted (413 beyond)", defaultLabel: "4mb" }),
  drainTimeoutMs: spec({ env: "DRAIN_TIMEOUT", flag: "--drain-timeout", default: 30_000, parse: duration, help: "On SIGTERM/SIGINT, how long in-flight requests may finish", defaultLabel: "30s" }),
  ssePingMs: spec({ env: "SSE_PING_INTERVAL", flag: "--sse-ping-interval", default: 15_000, parse: duration, help: "Comment frames keep quiet streams alive through proxies (0 = off)", defaultLabel: "15s" }),
  metrics: spec({ env: "METRICS", flag: "--metrics", default: "on" as "on" | "off" | "auth", parse: oneOf("on", "off", "auth"), help: "GET /metrics: on (open), auth (needs an API key) or off" }),
  logLevel: spec({ env: "LOG_LEVEL", flag: "--log-level", default: "info" as "debug" | "info" | "warn" | "error", parse: oneOf("debug", "info", "warn", "error"), help: "debug, info, warn or error" }),
  logFormat: spec({ env: "LOG_FORMAT", flag: "--log-format", default: "text" as "text" | "json", parse: oneOf("text", "json"), help: "text or json (one object per line)" }),
  maxN: spec({ env: "MAX_N", flag: "--max-n", default: 16, parse: int(1, 1024), help: "Largest n (and best_of) a request may ask for" }),
  maxPromptsPerRequest: spec({ env: "MAX_PROMPTS_PER_REQUEST", flag: "--max-prompts", default: 64, parse: int(1, 100_000), help: "Most prompts in one completions request" }),
  responsesStoreMax: spec({ env: "RESPONSES_STORE_MAX", flag: "--responses-store-max", default: 1000, parse: int(0, 1_000_000), help: "Most responses kept for GET and previous_response_id (store: true), oldest evicted first (0: keep none)" }),
  responsesStoreTtlMs: spec({ env: "RESPONSES_STORE_TTL", flag: "--responses-store-ttl", default: 3_600_000, parse: duration, help: "How long a stored response is kept (0: until evicted)", defaultLabel: "1h" }),
  maxEmbeddingInputs: spec({ env: "MAX_EMBEDDING_INPUTS", flag: "--max-embedding-inputs", default: 2048, parse: int(1, 1_000_000), help: "Most inputs in one embeddings request" }),
} as const;

export type SettingKey = keyof typeof SETTINGS;
export type Settings = { -readonly [K in SettingKey]: (typeof SETTINGS)[K]["default"] };
export type AnySpec = Spec<unknown>;
