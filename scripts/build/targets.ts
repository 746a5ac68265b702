// Which Bun compile targets the executable can be built for: those where onnxruntime-node 1.30.0 ships a binding and
// library in bin/napi-v6/<os>/<arch> that the extract-and-dlopen scheme can load.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageDir } from "./package-paths.ts";

export interface NativeTarget {
  /** The Bun target, e.g. `bun-linux-x64`. */
  bunTarget: string;
  /** Folder under onnxruntime-node/bin/napi-v6. */
  binSubdir: string;
  /** Files to embed, binding first. */
  files: string[];
  /** Whether the build has been run and served on that platform (only linux-x64 here). */
  verified: boolean;
}

/** Targets that cannot be served, and why; matched by prefix after the SIMD/libc suffixes are considered. */
const UNSUPPORTED: { pattern: RegExp; reason: string }[] = [
  { pattern: /^bun-linux-(x64|arm64)(-(baseline|modern))?-musl$/, reason: "onnxruntime-node ships glibc binaries only (no musl)" },
  { pattern: /^bun-darwin-x64/, reason: "onnxruntime-node 1.30.0 ships no darwin/x64 binaries" },
  {
    pattern: /^bun-windows-/,
    reason:
      "not supported by this build: its native loader extracts and dlopens ELF/Mach-O libraries; Windows' DLL search " +
      "for onnxruntime.dll/DirectML.dll beside an extracted binding is unimplemented and untested",
  },
];

const BINDING = "onnxruntime_binding.node";

export function hostBunTarget(): string {
  return `bun-${process.platform}-${process.arch}`;
}

/** Resolves a Bun target to what to embed, or throws naming why that target cannot be served. */
export function nativeTargetFor(bunTarget: string): NativeTarget {
  for (const { pattern, reason } of UNSUPPORTED) {
    if (pattern.test(bunTarget)) throw new Error(`build: cannot build for ${bunTarget}: ${reason}`);
  }
  const match = /^bun-(linux|darwin)-(x64|arm64)(-(baseline|modern))?$/.exec(bunTarget);
  if (!match) {
    throw new Error(
      `build: unknown target ${bunTarget}; served: bun-linux-x64[-baseline|-modern], bun-linux-arm64, bun-darwin-arm64`,
    );
  }
  const [, os, arch] = match;
  const library = os === "linux" ? "libonnxruntime.so.1" : "libonnxruntime.1.dylib";
  const binSubdir = `${os}/${arch}`;
  const dir = join(packageDir("onnxruntime-node"), "bin", "napi-v6", binSubdir);
  for (const file of [BINDING, library]) {
    if (!existsSync(join(dir, file))) throw new Error(`build: cannot build for ${bunTarget}: ${join(dir, file)} is missing`);
  }
  return { bunTarget, binSubdir, files: [BINDING, library], verified: bunTarget.startsWith(`bun-linux-x64`) };
}
