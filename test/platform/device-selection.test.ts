import { describe, expect, test } from "bun:test";
import { DeviceUnavailable } from "../../src/engine/engine-errors.ts";
import { cpuAfterCudaFailure, cudaLoadError, selectDevice } from "../../src/engine/runtime/device-selection.ts";
import { type CudaProbeInputs, probeCuda, probeCudaWith } from "../../src/platform/cuda-probe.ts";

const LIB_DIR = "/opt/gpt3dev/native";
const PROVIDERS = [`${LIB_DIR}/libonnxruntime_providers_shared.so`, `${LIB_DIR}/libonnxruntime_providers_cuda.so`];
const DRIVER = ["/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/nvidia0"];

/** A simulated machine: the files that exist, and the rest of the probe's inputs. */
function machine(files: string[], overrides: Partial<CudaProbeInputs> = {}): CudaProbeInputs {
  const present = new Set(files);
  return {
    env: {},
    platform: "linux",
    arch: "x64",
    runtimeDir: LIB_DIR,
    compiled: true,
    exists: (path) => present.has(path),
    ...overrides,
  };
}

describe("probeCudaWith", () => {
  test("provider libraries and driver present: usable, no reasons", () => {
    const probe = probeCudaWith(machine([...PROVIDERS, ...DRIVER]));
    expect(probe).toEqual({ cudaProviderLibsFound: true, providerDir: LIB_DIR, gpuVisible: true, reasons: [] });
  });

  test("no provider libraries: names both files and the folder onnxruntime looks in", () => {
    const probe = probeCudaWith(machine(DRIVER));
    expect(probe.cudaProviderLibsFound).toBe(false);
    expect(probe.reasons).toEqual([
      `libonnxruntime_providers_shared.so and libonnxruntime_providers_cuda.so not found in ${LIB_DIR} (or set ORT_CUDA_PROVIDER_DIR to their folder)`,
    ]);
  });

  test("one library missing: names only that one", () => {
    const probe = probeCudaWith(machine([PROVIDERS[0]!, ...DRIVER]));
    expect(probe.reasons[0]).toStartWith("libonnxruntime_providers_cuda.so not found in /opt/gpt3dev/native");
  });

  test("no driver: says so", () => {
    const probe = probeCudaWith(machine(PROVIDERS));
    expect(probe.gpuVisible).toBe(false);
    expect(probe.reasons).toEqual(["no NVIDIA driver found (no /proc/driver/nvidia, no /dev/nvidia* devices)"]);
  });

  test("any one driver path counts as a visible GPU", () => {
    for (const path of DRIVER) expect(probeCudaWith(machine([...PROVIDERS, path])).gpuVisible).toBe(true);
  });

  test("ORT_CUDA_PROVIDER_DIR without the files is named in the reason", () => {
    const probe = probeCudaWith(machine(DRIVER, { env: { ORT_CUDA_PROVIDER_DIR: "/srv/ort-cuda" } }));
    expect(probe.reasons[0]).toContain("not found in ORT_CUDA_PROVIDER_DIR=/srv/ort-cuda");
  });

  test("under bun run, ORT_CUDA_PROVIDER_DIR is not linked: the reason says where to copy the files", () => {
    const probe = probeCudaWith(machine(DRIVER, { env: { ORT_CUDA_PROVIDER_DIR: "/srv/ort-cuda" }, compiled: false }));
    expect(probe.reasons[0]).toContain("honoured by the executable only, under bun run copy the files there");
  });

  test("unknown library folder: nothing found", () => {
    const probe = probeCudaWith(machine([...PROVIDERS, ...DRIVER], { runtimeDir: null }));
    expect(probe.cudaProviderLibsFound).toBe(false);
    expect(probe.providerDir).toBeNull();
  });

  test("another platform: says CUDA providers are linux-x64 only", () => {
    const probe = probeCudaWith(machine([], { platform: "darwin", arch: "arm64" }));
    expect(probe.reasons[0]).toBe("onnxruntime publishes CUDA provider libraries for linux-x64 only, this is darwin-arm64");
  });

  test("this machine (no GPU here): a probe that finds no CUDA", () => {
    const probe = probeCuda({});
    expect(probe.providerDir).toEndWith("onnxruntime-node/bin/napi-v6/linux/x64");
    if (!probe.gpuVisible) expect(probe.reasons.length).toBeGreaterThan(0);
  });
});

describe("selectDevice", () => {
  const present = probeCudaWith(machine([...PROVIDERS, ...DRIVER]));
  const noLibs = probeCudaWith(machine(DRIVER));
  const noDriver = probeCudaWith(machine(PROVIDERS));

  test("cpu is always cpu, even with CUDA present", () => {
    expect(selectDevice("cpu", present)).toEqual({ executionProviders: ["cpu"], device: "cpu", reason: "cpu requested" });
  });

  test("auto with CUDA present picks cuda, CPU as fallback provider", () => {
    const selection = selectDevice("auto", present);
    expect(selection.device).toBe("cuda");
    expect(selection.executionProviders).toEqual(["cuda", "cpu"]);
    expect(selection.reason).toContain(LIB_DIR);
  });

  test("auto without provider libraries picks cpu and says why", () => {
    const selection = selectDevice("auto", noLibs);
    expect(selection).toMatchObject({ executionProviders: ["cpu"], device: "cpu" });
    expect(selection.reason).toContain("libonnxruntime_providers_shared.so");
  });

  test("auto without a driver picks cpu and says why", () => {
    expect(selectDevice("auto", noDriver).reason).toContain("no NVIDIA driver found");
  });

  test("explicit cuda with CUDA present picks cuda", () => {
    expect(selectDevice("cuda", present).executionProviders).toEqual(["cuda", "cpu"]);
  });

  test("explicit cuda without provider libraries throws, naming the files and folder", () => {
    expect(() => selectDevice("cuda", noLibs)).toThrow(DeviceUnavailable);
    expect(() => selectDevice("cuda", noLibs)).toThrow(
      `device "cuda" is not available: libonnxruntime_providers_shared.so and libonnxruntime_providers_cuda.so not found in ${LIB_DIR}`,
    );
  });

  test("explicit cuda without a driver throws, naming the driver", () => {
    expect(() => selectDevice("cuda", noDriver)).toThrow("no NVIDIA driver found");
  });

  test("a CUDA provider that fails to load: cpu for auto, an error naming CUDA 12 and cuDNN 9 for cuda", () => {
    const failure = new Error("Failed to load library libonnxruntime_providers_cuda.so with error: libcudnn.so.9: cannot open shared object file\nmore");
    expect(cpuAfterCudaFailure(failure)).toEqual({
      executionProviders: ["cpu"],
      device: "cpu",
      reason: "auto: using cpu, the CUDA provider failed to load: Failed to load library libonnxruntime_providers_cuda.so with error: libcudnn.so.9: cannot open shared object file",
    });
    const error = cudaLoadError(failure);
    expect(error).toBeInstanceOf(DeviceUnavailable);
    expect(error.message).toContain("libcudnn.so.9");
    expect(error.message).toContain("CUDA 12 runtime, cuBLAS and cuDNN 9");
  });

  test("selections do not share arrays", () => {
    const a = selectDevice("cpu", present);
    a.executionProviders.push("cuda");
    expect(selectDevice("cpu", present).executionProviders).toEqual(["cpu"]);
  });
});
