/** One file a download asks the hub for. */
export interface RepoFile {
  /** Path inside the repo, which is also the path inside the cached folder. */
  path: string;
  /** A missing optional file (404) is recorded as absent; a missing required one fails the download. */
  required: boolean;
}

/** The model's own configuration: small, asked for first so a wrong repo, revision or token fails in milliseconds. */
export const CONFIG_FILES: readonly RepoFile[] = [
  { path: "config.json", required: true },
  { path: "generation_config.json", required: false },
];

/** A fast tokenizer; without it, GPT-2-style slow tokenizer files are asked for (SLOW_TOKENIZER_FILES). */
export const FAST_TOKENIZER_FILE = "tokenizer.json";
export const SLOW_TOKENIZER_FILES: readonly string[] = ["vocab.json", "merges.txt", "added_tokens.json"];

/** Asked for whichever tokenizer the repo has: its settings, special tokens and (newer repos) the chat template. */
export const TOKENIZER_SETTINGS_FILES: readonly string[] = ["tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"];
