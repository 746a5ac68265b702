// `bun run build [--target bun-linux-x64] [--entry src/index.ts] [--outfile dist/gpt3dev-api]`
// Compiles the server into one self-contained executable (Bun runtime, code, onnxruntime and tiktoken's wasm).
// Served targets: bun-linux-x64 (verified), bun-linux-arm64 and bun-darwin-arm64 (built, not run here).
// Refused: *-musl (glibc binaries only), bun-darwin-x64 (no onnxruntime-node binaries), bun-windows-* (unsupported).
import { parseArgs } from "node:util";
import { relative, resolve } from "node:path";
import packageJson from "../package.json" with { type: "json" };
import { compileExecutable } from "./build/compile-executable.ts";
import { buildCommit } from "./build/git-commit.ts";
import { repoRoot } from "./build/package-paths.ts";
import { hostBunTarget, nativeTargetFor } from "./build/targets.ts";

const { values } = parseArgs({
  options: {
    target: { type: "string" },
    entry: { type: "string", default: "src/index.ts" },
    outfile: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

if (values.help) {
  console.log(
    "usage: bun run build [--target <bun target>] [--entry <file>] [--outfile <file>]\n" +
      "  --target   bun-linux-x64 (default on this host), bun-linux-x64-baseline, bun-linux-arm64, bun-darwin-arm64\n" +
      "  --entry    entry module (default src/index.ts)\n" +
      "  --outfile  default dist/gpt3dev-api, or dist/gpt3dev-api-<os>-<arch> for another target",
  );
  process.exit(0);
}

try {
  const bunTarget = values.target ?? hostBunTarget();
  const target = nativeTargetFor(bunTarget);
  const defaultOutfile =
    bunTarget === hostBunTarget() ? "dist/gpt3dev-api" : `dist/gpt3dev-api-${bunTarget.replace(/^bun-/, "")}`;
  const outfile = resolve(repoRoot, values.outfile ?? defaultOutfile);
  const commit = buildCommit();
  const started = performance.now();
  const { bytes } = await compileExecutable({
    entry: resolve(repoRoot, values.entry),
    outfile,
    target,
    version: packageJson.version,
    commit,
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const note = target.verified ? "" : " (built but not run-tested on that platform)";
  console.log(
    `build: ${relative(process.cwd(), outfile)} for ${bunTarget}, ${(bytes / 1e6).toFixed(1)} MB, ` +
      `version ${packageJson.version} commit ${commit}, ${seconds} s${note}`,
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
