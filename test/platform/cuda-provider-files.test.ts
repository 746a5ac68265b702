import { afterEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { linkCudaProviderLibs } from "../../src/platform/cuda-provider-files.ts";

let root = "";
afterEach(() => rmSync(root, { recursive: true, force: true }));

function setUp(): { providerDir: string; nativeDir: string } {
  root = mkdtempSync(join(tmpdir(), "gpt3dev-cuda-links-"));
  const providerDir = join(root, "ort-cuda");
  const nativeDir = join(root, "native");
  mkdirSync(providerDir);
  mkdirSync(nativeDir);
  for (const name of ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so", "libonnxruntime_providers_tensorrt.so", "README.txt"]) {
    writeFileSync(join(providerDir, name), name);
  }
  return { providerDir, nativeDir };
}

test("links every provider library of ORT_CUDA_PROVIDER_DIR beside libonnxruntime, nothing else", () => {
  const { providerDir, nativeDir } = setUp();
  linkCudaProviderLibs(providerDir, nativeDir);
  expect(readdirSync(nativeDir).sort()).toEqual([
    "libonnxruntime_providers_cuda.so",
    "libonnxruntime_providers_shared.so",
    "libonnxruntime_providers_tensorrt.so",
  ]);
  expect(readlinkSync(join(nativeDir, "libonnxruntime_providers_cuda.so"))).toBe(join(providerDir, "libonnxruntime_providers_cuda.so"));
});

test("replaces a link that points elsewhere (the provider folder moved)", () => {
  const { providerDir, nativeDir } = setUp();
  symlinkSync("/nowhere/libonnxruntime_providers_cuda.so", join(nativeDir, "libonnxruntime_providers_cuda.so"));
  linkCudaProviderLibs(providerDir, nativeDir);
  expect(readlinkSync(join(nativeDir, "libonnxruntime_providers_cuda.so"))).toBe(join(providerDir, "libonnxruntime_providers_cuda.so"));
});

test("an absent provider folder links nothing (the device probe reports it)", () => {
  const { nativeDir } = setUp();
  linkCudaProviderLibs(join(root, "missing"), nativeDir);
  expect(readdirSync(nativeDir)).toEqual([]);
});
