// Paths of the repository and of installed packages. Read by path rather than require.resolve: several of these
// packages have an `exports` map that hides their package.json and binaries.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dir, "..", "..");

export function packageDir(name: string): string {
  const dir = join(repoRoot, "node_modules", name);
  if (!existsSync(join(dir, "package.json"))) {
    throw new Error(`build: ${name} is not installed in ${join(repoRoot, "node_modules")}; run \`bun install\``);
  }
  return dir;
}
