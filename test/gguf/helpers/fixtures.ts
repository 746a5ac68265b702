/** Paths and manifests of the committed GGUF fixtures (made by test/fixtures/gguf/make/make.sh). */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FixtureModel } from "./seeded.ts";

export const FIXTURES = join(import.meta.dir, "../../fixtures/gguf");

export const fixture = (name: string) => join(FIXTURES, name);

export const modelFiles = (): string[] => readdirSync(FIXTURES).filter((f) => f.endsWith(".gguf")).sort();

export const models = (): Record<string, FixtureModel> => JSON.parse(readFileSync(fixture("models.json"), "utf8"));

export interface TokenizerCase {
  text: string;
  ids: number[];
  ids_no_bos: number[];
}

export const tokenizerIds = (): Record<string, TokenizerCase[]> => JSON.parse(readFileSync(fixture("tokenizer-ids.json"), "utf8"));
