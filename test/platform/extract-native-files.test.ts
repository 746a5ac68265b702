import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extractNativeFiles, isExtracted } from "../../src/platform/extract-native-files.ts";
import type { EmbeddedNativeAssets } from "../../src/platform/native-assets.ts";
import { resolveNativeDir } from "../../src/platform/native-cache-dir.ts";
import { NativeSetupError } from "../../src/platform/native-setup-error.ts";

const folders: string[] = [];
function tempFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "gpt3dev-extract-test-"));
  folders.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Embedded assets as the build makes them: zstd files and their decompressed sizes. */
function fakeAssets(contents: Record<string, string>, folderName = "native-test-0001"): EmbeddedNativeAssets {
  const source = tempFolder();
  const files = Object.entries(contents).map(([name, text]) => {
    const embeddedPath = join(source, `${name}.zst`);
    writeFileSync(embeddedPath, Bun.zstdCompressSync(Buffer.from(text)));
    return { name, embeddedPath, size: Buffer.byteLength(text) };
  });
  return { folderName, bindingName: files[0]!.name, files };
}

describe("extractNativeFiles", () => {
  test("writes every file decompressed, then finds them in place", () => {
    const assets = fakeAssets({ "binding.node": "binding bytes", "libonnxruntime.so.1": "library bytes".repeat(1000) });
    const dir = join(tempFolder(), "nested", "native");
    expect(isExtracted(assets, dir)).toBe(false);
    extractNativeFiles(assets, dir);
    expect(readFileSync(join(dir, "binding.node"), "utf8")).toBe("binding bytes");
    expect(readFileSync(join(dir, "libonnxruntime.so.1"), "utf8")).toBe("library bytes".repeat(1000));
    expect(isExtracted(assets, dir)).toBe(true);
    expect(readdirSync(dir).filter((name) => name.includes(".tmp-"))).toEqual([]);
  });

  test("a second start leaves the files alone", () => {
    const assets = fakeAssets({ "binding.node": "v1" });
    const dir = tempFolder();
    extractNativeFiles(assets, dir);
    writeFileSync(join(dir, "binding.node"), "v2"); // same size: only a stamp or size change triggers a rewrite
    extractNativeFiles(assets, dir);
    expect(readFileSync(join(dir, "binding.node"), "utf8")).toBe("v2");
  });

  test("a truncated file or another build's stamp is replaced", () => {
    const dir = tempFolder();
    const assets = fakeAssets({ "binding.node": "complete" });
    extractNativeFiles(assets, dir);
    writeFileSync(join(dir, "binding.node"), "trunc");
    extractNativeFiles(assets, dir);
    expect(readFileSync(join(dir, "binding.node"), "utf8")).toBe("complete");
    const next = fakeAssets({ "binding.node": "newbuild" }, "native-test-0002");
    extractNativeFiles(next, dir);
    expect(readFileSync(join(dir, "binding.node"), "utf8")).toBe("newbuild");
  });

  test("concurrent starts all see complete files", async () => {
    const payload = "x".repeat(4_000_000);
    const assets = fakeAssets({ "libonnxruntime.so.1": payload });
    const dir = join(tempFolder(), "shared");
    const script = join(tempFolder(), "extract.ts");
    writeFileSync(
      script,
      `import { extractNativeFiles } from ${JSON.stringify(join(import.meta.dir, "../../src/platform/extract-native-files.ts"))};
       import { readFileSync } from "node:fs";
       const assets = JSON.parse(process.argv[2]);
       extractNativeFiles(assets, process.argv[3]);
       process.exit(readFileSync(process.argv[3] + "/libonnxruntime.so.1").length === ${payload.length} ? 0 : 9);`,
    );
    const runs = Array.from({ length: 6 }, () =>
      Bun.spawn([process.execPath, script, JSON.stringify(assets), dir], { stderr: "pipe" }),
    );
    const codes = await Promise.all(runs.map((run) => run.exited));
    expect(codes).toEqual([0, 0, 0, 0, 0, 0]);
    expect(readdirSync(dir).sort()).toEqual([".gpt3dev-native", "libonnxruntime.so.1"]);
  });

  test("an unusable folder gives one line naming the folder, the cause and the setting", () => {
    const parent = tempFolder();
    writeFileSync(join(parent, "a-file"), "");
    const dir = join(parent, "a-file", "native");
    const assets = fakeAssets({ "binding.node": "b" });
    let error: unknown;
    try {
      extractNativeFiles(assets, dir);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NativeSetupError);
    const message = (error as NativeSetupError).message;
    expect(message).toBe(
      `cannot write native libraries in ${dir}: a path component is not a folder (ENOTDIR); ` +
        "set GPT3DEV_NATIVE_DIR to a writable folder with about 50 MB free",
    );
    expect(message).not.toContain("\n");
  });

  test.skipIf(process.getuid?.() === 0)("a read-only folder is reported as permission denied", () => {
    const dir = tempFolder();
    chmodSync(dir, 0o555);
    expect(() => extractNativeFiles(fakeAssets({ "binding.node": "b" }), join(dir, "native"))).toThrow(
      "permission denied (EACCES)",
    );
    chmodSync(dir, 0o755);
    expect(existsSync(join(dir, "native"))).toBe(false);
  });
});

describe("resolveNativeDir", () => {
  test("GPT3DEV_NATIVE_DIR wins, as given", () => {
    expect(resolveNativeDir("native-x", { GPT3DEV_NATIVE_DIR: "/srv/native", XDG_CACHE_HOME: "/c" })).toBe("/srv/native");
  });
  test("then $XDG_CACHE_HOME/gpt3dev-api/<version>/<folder>", () => {
    expect(resolveNativeDir("native-x", { XDG_CACHE_HOME: "/c", HOME: "/h" })).toMatch(/^\/c\/gpt3dev-api\/[^/]+\/native-x$/);
  });
  test("then ~/.cache", () => {
    expect(resolveNativeDir("native-x", { HOME: "/h" })).toMatch(/^\/h\/\.cache\/gpt3dev-api\/[^/]+\/native-x$/);
  });
});
