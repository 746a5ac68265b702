/**
 * A model folder's tokenizer as the files the engine loads: tokenizer.json, or a GPT-2-style slow tokenizer's
 * vocab.json + merges.txt (+ added_tokens.json, special_tokens_map.json) assembled into one; tokenizer_config.json;
 * and the chat template from tokenizer_config.json or, in newer repos, a separate chat_template.jinja.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ConvertError } from "../../convert/convert-error.ts";
import { assembleTokenizerJson, type AssembledTokenizer } from "./assemble-tokenizer-json.ts";

export const CHAT_TEMPLATE_FILE = "chat_template.jinja";

export async function readTokenizerFiles(dir: string): Promise<AssembledTokenizer> {
  const configText = await readOptional(dir, "tokenizer_config.json");
  const fast = await readOptional(dir, "tokenizer.json");
  let assembled: AssembledTokenizer;
  if (fast !== null) {
    assembled = { tokenizerJson: parseJson(fast, "tokenizer.json"), tokenizerConfig: configText === null ? {} : parseJson(configText, "tokenizer_config.json") };
  } else {
    const [vocab, merges] = [await readOptional(dir, "vocab.json"), await readOptional(dir, "merges.txt")];
    if (vocab === null || merges === null) {
      throw new ConvertError("checkpoint_missing", `the folder has no tokenizer.json (nor vocab.json + merges.txt to assemble one from)`, "tokenizer.json");
    }
    assembled = assembleTokenizerJson({
      "vocab.json": vocab,
      "merges.txt": merges,
      "added_tokens.json": await readOptional(dir, "added_tokens.json"),
      "special_tokens_map.json": await readOptional(dir, "special_tokens_map.json"),
      "tokenizer_config.json": configText,
    });
  }
  if (!assembled.tokenizerConfig.chat_template) {
    const template = await readOptional(dir, CHAT_TEMPLATE_FILE);
    if (template !== null && template.trim()) assembled.tokenizerConfig = { ...assembled.tokenizerConfig, chat_template: template };
  }
  return assembled;
}

async function readOptional(dir: string, name: string): Promise<string | null> {
  try {
    return await readFile(join(dir, name), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

function parseJson(text: string, file: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConvertError("checkpoint_invalid", `${file}: is not valid JSON (${(err as Error).message})`, file);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new ConvertError("checkpoint_invalid", `${file}: is not a JSON object`, file);
  return json as Record<string, unknown>;
}
