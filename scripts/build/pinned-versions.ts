// The dependency versions whose files the build patches or embeds. A different installed version fails the build
// before anything is bundled: the patches and the embedded native files were checked against these.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageDir } from "./package-paths.ts";

export const PINNED_VERSIONS = {
  "@huggingface/transformers": "4.3.1",
  "onnxruntime-node": "1.30.0",
  tiktoken: "1.0.22",
} as const;

export function installedVersion(name: string): string {
  const manifest: unknown = JSON.parse(readFileSync(join(packageDir(name), "package.json"), "utf8"));
  if (typeof manifest === "object" && manifest !== null && "version" in manifest && typeof manifest.version === "string") {
    return manifest.version;
  }
  throw new Error(`build: ${name}/package.json has no version`);
}

export function checkPinnedVersions(): void {
  const wrong = Object.entries(PINNED_VERSIONS)
    .map(([name, pinned]) => ({ name, pinned, installed: installedVersion(name) }))
    .filter(({ pinned, installed }) => pinned !== installed);
  if (wrong.length > 0) {
    const lines = wrong.map(({ name, pinned, installed }) => `  ${name}: installed ${installed}, build written for ${pinned}`);
    throw new Error(`build: dependency versions differ from the ones the build patches:\n${lines.join("\n")}\nRun \`bun install\` or update scripts/build/.`);
  }
}
