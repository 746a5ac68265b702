/**
 * Test-model factory: writes small, deterministic, random-weight ONNX models in the Hugging Face / transformers.js
 * layout (config.json, generation_config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx) plus a
 * registry.yaml listing them, so tests, benchmarks and demos run the real engine without downloading anything;
 * and Hugging Face checkpoints (safetensors, sharded, pytorch_model.bin; every architecture the converter builds)
 * for the converter's tests.
 *
 *   bun run test-models [--preset small] [--dir DIR]      (default dir: $TEST_MODELS_DIR or .cache/test-models)
 *
 * A folder whose stamp matches (factory version + recipe + generator sources) is left untouched, so calling this
 * before every test run costs a few milliseconds once the models exist.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { BENCH_RECIPES, CHECKPOINT_RECIPES, QUALITY_RECIPES } from "./onnx/checkpoint-recipes.ts";
import { withDirLock } from "./onnx/dir-lock.ts";
import { EXPORT_RECIPES, SMALL_PRESET_EXPORTS, type RegistryEntry, type TestModelRecipe } from "./onnx/test-model-recipes.ts";
import { TOOL_MODEL_RECIPES } from "./onnx/tool-model-recipes.ts";

export { ENDOFTEXT_ID, IM_END_ID, IM_START_ID, type RegistryEntry } from "./onnx/test-model-recipes.ts";
export { CHECKPOINT_RECIPES, QUALITY_RECIPES } from "./onnx/checkpoint-recipes.ts";

/** Bump when the output changes for a reason the stamp cannot see (e.g. a dependency's tiktoken ranks). */
export const FACTORY_VERSION = 2;

const DEFAULT_RECIPES: readonly TestModelRecipe[] = [...EXPORT_RECIPES, ...TOOL_MODEL_RECIPES, ...CHECKPOINT_RECIPES, ...QUALITY_RECIPES];
// The benchmark's models after the default ones, so the registry lists those in the same order either way.
const SMALL_PRESET_RECIPES: readonly TestModelRecipe[] = [
  ...DEFAULT_RECIPES,
  ...SMALL_PRESET_EXPORTS.filter((r) => !EXPORT_RECIPES.includes(r)),
  ...BENCH_RECIPES,
];

export type TestModelPreset = "default" | "small";

export interface EnsureTestModelsOptions {
  /** Output folder; default $TEST_MODELS_DIR, else <repo>/.cache/test-models. */
  dir?: string;
  /** "small" adds test-gpt2-small (GPT-2 124M shape, ≈500 MB) and the same weights as a checkpoint, test-gpt2-small-hf. */
  preset?: TestModelPreset;
  /** Progress lines (default: silent). */
  log?: (line: string) => void;
}

export interface EnsureTestModelsResult {
  /** Absolute output folder. */
  dir: string;
  /** Absolute path of registry.yaml. */
  registryPath: string;
  /** Models written by this call (empty when everything was current). */
  written: string[];
}

const REPO_ROOT = path.resolve(import.meta.dir, "..");
const STAMP_FILE = ".stamp";
const LOCK_DIR = ".lock";
const TMP_PREFIX = ".tmp-";

export function defaultTestModelsDir(): string {
  return path.resolve(process.env.TEST_MODELS_DIR || path.join(REPO_ROOT, ".cache", "test-models"));
}

export async function ensureTestModels(opts: EnsureTestModelsOptions = {}): Promise<EnsureTestModelsResult> {
  const dir = path.resolve(opts.dir ?? defaultTestModelsDir());
  const registryPath = path.join(dir, "registry.yaml");
  const log = opts.log ?? (() => {});
  const wanted = opts.preset === "small" ? SMALL_PRESET_RECIPES : DEFAULT_RECIPES;
  const stamps = new Map(SMALL_PRESET_RECIPES.map((r) => [r.name, stampOf(r)]));
  const isCurrent = (r: TestModelRecipe) => {
    const modelDir = path.join(dir, r.name);
    return readStamp(modelDir) === stamps.get(r.name) && r.files.every((f) => fs.existsSync(path.join(modelDir, f)));
  };

  const written: string[] = [];
  const registryText = () => registryYaml(SMALL_PRESET_RECIPES.filter((r) => wanted.includes(r) || isCurrent(r)));
  if (wanted.every(isCurrent) && readText(registryPath) === registryText()) return { dir, registryPath, written };

  fs.mkdirSync(dir, { recursive: true });
  await withDirLock(path.join(dir, LOCK_DIR), async () => {
    // Holding the lock, any temporary folder is a leftover of an interrupted run.
    for (const entry of fs.readdirSync(dir)) {
      if (entry.startsWith(TMP_PREFIX)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
    for (const recipe of wanted) {
      if (isCurrent(recipe)) continue; // another process may have written it while we waited for the lock
      const started = performance.now();
      await writeModelFolder(dir, recipe, stamps.get(recipe.name) ?? "");
      written.push(recipe.name);
      log(`${recipe.name}: written in ${Math.round(performance.now() - started)} ms`);
    }
    const text = registryText();
    if (readText(registryPath) !== text) writeFileAtomic(registryPath, text);
  });
  return { dir, registryPath, written };
}

/** Writes the folder under a temporary name, then renames it into place, so readers never see half a model. */
async function writeModelFolder(dir: string, recipe: TestModelRecipe, stamp: string): Promise<void> {
  const tmp = path.join(dir, `${TMP_PREFIX}${recipe.name}-${process.pid}`);
  fs.mkdirSync(tmp, { recursive: true });
  await recipe.write(tmp);
  fs.writeFileSync(path.join(tmp, STAMP_FILE), `${stamp}\n`);

  const target = path.join(dir, recipe.name);
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(tmp, target);
}

function registryYaml(recipes: readonly TestModelRecipe[]): string {
  const entries: RegistryEntry[] = recipes.flatMap((r) => (r.registry ? [r.registry] : []));
  return `# Written by \`bun run test-models\`: random-weight test models. Paths are relative to this file.\n${stringify(entries)}`;
}

/**
 * What the folder's content depends on: the factory version, the recipe (spec, configs, tokenizer settings) and the
 * generator's own source — the factory's scripts and the converter that writes the exports — so editing either
 * rebuilds the models without anyone remembering to bump a version.
 */
function stampOf(recipe: TestModelRecipe): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ factory: FACTORY_VERSION, name: recipe.name, spec: recipe.spec, registry: recipe.registry ?? null }));
  for (const root of GENERATOR_ROOTS) {
    const base = path.join(REPO_ROOT, root);
    for (const file of sourcesUnder(base)) hash.update(`${root}/${file}`).update(fs.readFileSync(path.join(base, file)));
  }
  return `v${FACTORY_VERSION}-${hash.digest("hex").slice(0, 32)}`;
}

const GENERATOR_ROOTS = ["scripts/onnx", "scripts/checkpoints", "src/convert"];

/** Source files under a folder, relative and sorted, so the stamp is the same in every checkout. */
function sourcesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => f.split(path.sep).join("/"))
    .sort();
}

function readStamp(modelDir: string): string | undefined {
  return readText(path.join(modelDir, STAMP_FILE))?.trim();
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const valueOf = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const preset = valueOf("--preset") ?? "default";
  if (preset !== "default" && preset !== "small") {
    console.error(`unknown preset "${preset}" (expected "default" or "small")`);
    process.exit(2);
  }
  const started = performance.now();
  const result = await ensureTestModels({ dir: valueOf("--dir"), preset, log: (line) => console.log(line) });
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  console.log(result.written.length ? `wrote ${result.written.join(", ")} in ${seconds} s` : "test models are current");
  console.log(`registry: ${result.registryPath}`);
}
