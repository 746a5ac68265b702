// Which of the test registry's models the smoke checks use for a completion, a chat and an embedding.
import { readFileSync } from "node:fs";
import { parse } from "yaml";

export interface SmokeModels {
  completion: string;
  chat: string;
  embedding: string;
}

interface Entry {
  name: string;
  task?: string;
}

function isEntry(value: unknown): value is Entry {
  return typeof value === "object" && value !== null && "name" in value && typeof value.name === "string";
}

export function smokeModels(registryFile: string): SmokeModels {
  const parsed: unknown = parse(readFileSync(registryFile, "utf8"));
  const entries = (Array.isArray(parsed) ? parsed : []).filter(isEntry);
  const text = entries.filter((entry) => entry.task !== "embeddings");
  const embedding = entries.find((entry) => entry.task === "embeddings");
  const completion = text[0];
  const chat = text.find((entry) => entry.name.includes("chat")) ?? completion;
  if (!completion || !chat || !embedding) {
    throw new Error(`${registryFile} needs a text-generation model and an embeddings model`);
  }
  return { completion: completion.name, chat: chat.name, embedding: embedding.name };
}
