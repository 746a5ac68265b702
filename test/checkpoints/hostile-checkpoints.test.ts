/**
 * Hostile checkpoints through the real server: a truncated file, a header length or tensor offsets beyond the
 * file, an unknown dtype, shapes that do not match the config, absurd config sizes, weight_map names that leave
 * the folder, a pickle that calls a function, GGUF headers with counts no file could hold or tensors past the end —
 * locally and (the index) from a hub. Each fails only its model's
 * load, with a 503 naming the file and the problem, without the server's memory growing by what the file claims,
 * and with nothing written outside the model cache; a good model keeps serving throughout.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { zipStored } from "../../scripts/checkpoints/zip-writer.ts";
import { fixture } from "../gguf/helpers/fixtures.ts";
import { startFakeHub, type FakeHub } from "../helpers/fake-hub.ts";
import { useServer } from "../helpers/start-server.ts";
import { rssBytes } from "../hardening/server-memory.ts";
import { testModelPath } from "../models/test-models-dir.ts";
import { tempRoot, writeRegistry } from "./served-kit.ts";

const root = tempRoot("hostile-checkpoints");
const models = path.join(root, "models");
const cacheDir = path.join(root, "cache");
const tmpDir = path.join(root, "tmp");
fs.mkdirSync(tmpDir);

function copy(from: string, as: string): string {
  const dir = path.join(models, as);
  fs.cpSync(testModelPath(from), dir, { recursive: true });
  return dir;
}
function editJson(file: string, edit: (json: Record<string, any>) => void): void {
  const json = JSON.parse(fs.readFileSync(file, "utf8"));
  edit(json);
  fs.writeFileSync(file, JSON.stringify(json));
}
/** Rewrites a safetensors file's header (the data stays as it was). */
function editHeader(file: string, edit: (header: Record<string, any>) => void): void {
  const bytes = fs.readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8"));
  edit(header);
  const text = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(text.byteLength));
  fs.writeFileSync(file, Buffer.concat([length, text, bytes.subarray(8 + n)]));
}
const firstTensor = (header: Record<string, any>) => Object.keys(header).find((k) => k !== "__metadata__")!;

interface HostileCase {
  /** What is wrong, and how the folder is made so. */
  make: () => string;
  code: string;
  /** The file the message must name, and what it must say. */
  file: string;
  message: RegExp;
}

const CASES: Record<string, HostileCase> = {
  truncated: {
    make: () => {
      const dir = copy("ckpt-gpt2", "truncated");
      const file = path.join(dir, "model.safetensors");
      fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
      return dir;
    },
    code: "checkpoint_invalid",
    file: "model.safetensors",
    message: /beyond the file's \d+ data bytes \(truncated\?\)/,
  },
  "header-length": {
    make: () => {
      const dir = copy("ckpt-gpt2", "header-length");
      const fd = fs.openSync(path.join(dir, "model.safetensors"), "r+");
      const length = Buffer.alloc(8);
      length.writeBigUInt64LE(1n << 50n);
      fs.writeSync(fd, length, 0, 8, 0);
      fs.closeSync(fd);
      return dir;
    },
    code: "checkpoint_invalid",
    file: "model.safetensors",
    message: /header length 1125899906842624 is beyond the file/,
  },
  offsets: {
    make: () => {
      const dir = copy("ckpt-gpt2", "offsets");
      editHeader(path.join(dir, "model.safetensors"), (h) => {
        // The last tensor in the file, moved a terabyte past its end.
        const last = Object.keys(h).filter((k) => k !== "__metadata__").sort((a, b) => h[b].data_offsets[1] - h[a].data_offsets[1])[0]!;
        h[last].data_offsets = h[last].data_offsets.map((o: number) => o + 2 ** 40);
      });
      return dir;
    },
    code: "checkpoint_invalid",
    file: "model.safetensors",
    message: /data_offsets \[\d+, \d+\] are beyond the file's \d+ data bytes/,
  },
  "unknown-dtype": {
    make: () => {
      const dir = copy("ckpt-gpt2", "unknown-dtype");
      editHeader(path.join(dir, "model.safetensors"), (h) => (h[firstTensor(h)].dtype = "F17"));
      return dir;
    },
    code: "unsupported_tensor_type",
    file: "model.safetensors",
    message: /unknown dtype "F17"/,
  },
  "wrong-shapes": {
    make: () => {
      const dir = copy("ckpt-llama", "wrong-shapes");
      editJson(path.join(dir, "config.json"), (c) => (c.intermediate_size = 48));
      return dir;
    },
    code: "checkpoint_invalid",
    file: "-of-00003.safetensors",
    message: /model-0000\d-of-00003\.safetensors: tensor model\.layers\.0\.mlp\.gate_proj\.weight has shape \[64, 32\], the config needs \[48, 32\]/,
  },
  absurd: {
    make: () => {
      const dir = copy("ckpt-gpt2", "absurd");
      editJson(path.join(dir, "config.json"), (c) => (c.n_layer = 1e9));
      return dir;
    },
    code: "unsupported_config",
    file: "config.json",
    message: /n_layer = 1000000000 is outside/,
  },
  "weight-map-dotdot": {
    make: () => {
      const dir = copy("ckpt-llama", "weight-map-dotdot");
      editJson(path.join(dir, "model.safetensors.index.json"), (i) => (i.weight_map["model.norm.weight"] = "../truncated/model.safetensors"));
      return dir;
    },
    code: "checkpoint_invalid",
    file: "model.safetensors.index.json",
    message: /weight_map names the file "\.\.\/truncated\/model\.safetensors", which is not a plain file name/,
  },
  "weight-map-slash": {
    make: () => {
      const dir = copy("ckpt-llama", "weight-map-slash");
      editJson(path.join(dir, "model.safetensors.index.json"), (i) => (i.weight_map["model.norm.weight"] = "/etc/hostname"));
      return dir;
    },
    code: "checkpoint_invalid",
    file: "model.safetensors.index.json",
    message: /weight_map names the file "\/etc\/hostname"/,
  },
  "pickle-call": {
    make: () => {
      const dir = copy("ckpt-gpt2-bin", "pickle-call");
      // PROTO 2, GLOBAL posix.system, a string argument, TUPLE1, REDUCE, STOP: what a malicious torch.save looks like.
      const pkl = Buffer.concat([Buffer.from([0x80, 2]), Buffer.from("cposix\nsystem\n", "latin1"), Buffer.from("X\u0004\u0000\u0000\u0000true\u0085R.", "latin1")]);
      fs.writeFileSync(path.join(dir, "pytorch_model.bin"), zipStored([{ name: "archive/data.pkl", data: pkl }]));
      return dir;
    },
    code: "checkpoint_invalid",
    file: "pytorch_model.bin",
    message: /posix\.?system|posix system/,
  },
};

/** A GGUF fixture copied under `name` with `edit` applied to its bytes. */
function gguf(from: string, name: string, edit: (bytes: Buffer) => Buffer): string {
  fs.mkdirSync(models, { recursive: true });
  const file = path.join(models, name);
  fs.writeFileSync(file, edit(fs.readFileSync(fixture(from))));
  return file;
}
const setU64 = (offset: number, value: bigint) => (bytes: Buffer) => {
  bytes.writeBigUInt64LE(value, offset);
  return bytes;
};

Object.assign(CASES, {
  "gguf-tensor-count": {
    make: () => gguf("gpt2-f32.gguf", "gguf-tensor-count.gguf", setU64(8, 1n << 40n)),
    code: "checkpoint_invalid",
    file: "gguf-tensor-count.gguf",
    message: /tensor count 1099511627776 cannot fit/,
  },
  "gguf-metadata-count": {
    make: () => gguf("gpt2-f32.gguf", "gguf-metadata-count.gguf", setU64(16, 1n << 50n)),
    code: "checkpoint_invalid",
    file: "gguf-metadata-count.gguf",
    message: /metadata count 1125899906842624 cannot fit/,
  },
  "gguf-past-the-end": {
    make: () => gguf("tiny-llama-256-Q4_K_M.gguf", "gguf-past-the-end.gguf", (b) => b.subarray(0, Math.floor(b.length * 0.6))),
    code: "checkpoint_invalid",
    file: "gguf-past-the-end.gguf",
    message: /tensor \S+ \(\d+ bytes at data offset \d+\) lies past the end of the file/,
  },
} satisfies Record<string, HostileCase>);

/** A GPT-2 checkpoint on a hub whose index names a shard outside the repo folder. */
const hubRepo = copy("ckpt-llama", "hub-repo");
editJson(path.join(hubRepo, "model.safetensors.index.json"), (i) => (i.weight_map["model.norm.weight"] = "../../../escape.safetensors"));
let hub: FakeHub;

const dirs = Object.fromEntries(Object.entries(CASES).map(([name, c]) => [name, c.make()]));
const good = copy("ckpt-gpt2", "good");
/** Every file under the models folder with its size and modification time: what must not change. */
const snapshot = () =>
  fs.readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((f) => !f.startsWith("cache"))
    .sort()
    .map((f) => {
      const s = fs.statSync(path.join(root, f));
      return `${f} ${s.isDirectory() ? "dir" : s.size} ${s.mtimeMs}`;
    });
let before: string[] = [];

const ctx = useServer(async () => {
  hub = await startFakeHub([{ repo: "hostile/index", dir: hubRepo }]);
  const registry = writeRegistry(root, [
    { name: "good", path: good, device: "cpu" },
    { name: "hub-index", hf_repo: "hostile/index", device: "cpu" },
    { name: "checkpoint-bnb4", path: good, device: "cpu", dtype: "bnb4" },
    { name: "gguf-uint8", path: fixture("gpt2-f32.gguf"), device: "cpu", dtype: "uint8" },
    ...Object.entries(dirs).map(([name, dir]) => ({ name, path: dir, device: "cpu" })),
  ]);
  before = snapshot();
  return { args: ["--registry", registry], env: { MODEL_CACHE_DIR: cacheDir, HF_ENDPOINT: hub.url, TMPDIR: tmpDir } };
});

afterAll(async () => {
  await hub?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

async function complete(model: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${ctx.server.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, prompt: "Hello", max_tokens: 2 }),
  });
  return { status: res.status, body: await res.json() };
}

let rssAfterGood = 0;
beforeAll(async () => {
  expect((await complete("good")).status).toBe(200);
  rssAfterGood = await rssBytes(ctx.server.proc.pid);
});

describe.each(Object.entries(CASES))("%s", (name, c) => {
  test("503 naming the file and the problem; the good model still answers", async () => {
    const { status, body } = await complete(name);
    expect(status).toBe(503);
    expect(body.error).toMatchObject({ type: "service_unavailable_error", code: c.code, param: "model" });
    expect(body.error.message).toContain(`Model '${name}' could not be loaded`);
    expect(body.error.message).toContain(c.file);
    expect(body.error.message).toMatch(c.message);
    const detail = (await (await fetch(`${ctx.server.url}/v1/models/${name}`)).json()) as { state: string; error: string };
    expect(detail).toMatchObject({ state: "failed", error: expect.stringContaining(c.file) });
    expect((await complete("good")).status).toBe(200);
  });
});

test("a hub repo's index naming a file outside the folder: 503 before any shard is asked for", async () => {
  const { status, body } = await complete("hub-index");
  expect(status).toBe(503);
  expect(body.error).toMatchObject({ code: "checkpoint_invalid" });
  expect(body.error.message).toContain("model.safetensors.index.json");
  expect(body.error.message).toContain("../../../escape.safetensors");
  const asked = hub.requests.map((r) => r.file);
  expect(asked).toContain("hostile/index/model.safetensors.index.json");
  expect(asked.filter((f) => f.includes("escape") || /model-0000\d-of/.test(f))).toEqual([]);
  expect(fs.existsSync(path.join(root, "escape.safetensors"))).toBe(false);
});

test("a dtype the builder cannot honour (bnb4, uint8: not compute precisions of a built graph) is a clear 503 unsupported_dtype", async () => {
  for (const [model, dtype, what] of [["checkpoint-bnb4", "bnb4", "a checkpoint"], ["gguf-uint8", "uint8", "a GGUF file"]] as const) {
    const { status, body } = await complete(model);
    expect(status).toBe(503);
    expect(body.error.code).toBe("unsupported_dtype");
    expect(body.error.message).toContain(`dtype ${dtype} cannot be built for ${what}`);
    expect(body.error.message).toContain("fp32, q8 or q4");
  }
});

test("a second request retries and fails the same way, quickly", async () => {
  const { status, body } = await complete("truncated");
  expect(status).toBe(503);
  expect(body.error.code).toBe("checkpoint_invalid");
});

test("memory stayed bounded, nothing outside the cache changed, and no build was left behind", async () => {
  // What the files claim (petabyte offsets, a 1 PB header, a billion layers) was never allocated.
  expect((await rssBytes(ctx.server.proc.pid)) - rssAfterGood).toBeLessThan(150 << 20);
  expect(snapshot()).toEqual(before);
  expect(fs.readdirSync(tmpDir)).toEqual([]);
  // Only the good model's build is in the cache; the hostile ones left no folder, temporary or not.
  expect(fs.readdirSync(path.join(cacheDir, "builds"))).toEqual([expect.stringMatching(/^local-good-[0-9a-f]+-fp32$/)]);
  expect((await complete("good")).status).toBe(200);
});
