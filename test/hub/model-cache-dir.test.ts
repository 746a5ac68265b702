/** The cache folder rule, as the server and the CLI both get it through hubSettings. */
import { expect, test } from "bun:test";
import { homedir } from "node:os";
import { join } from "node:path";
import { loadSettings } from "../../src/config/load-settings.ts";
import { hubSettings } from "../../src/engine/hub/hub-settings.ts";
import { modelCacheDir } from "../../src/engine/hub/model-cache-dir.ts";

const cases: [Record<string, string>, string][] = [
  [{ MODEL_CACHE_DIR: "/srv/models", HF_HOME: "/hf", XDG_CACHE_HOME: "/xdg" }, "/srv/models"],
  [{ HF_HOME: "/hf", XDG_CACHE_HOME: "/xdg" }, "/hf/gpt3dev-api"],
  [{ XDG_CACHE_HOME: "/xdg" }, "/xdg/gpt3dev-api/models"],
  [{}, join(homedir(), ".cache", "gpt3dev-api", "models")],
];

test.each(cases)("env %o → %s, the same for the server and the CLI", (env, expected) => {
  const { settings } = loadSettings([], env);
  expect(modelCacheDir(settings, env)).toBe(expected);
  expect(hubSettings(settings, env).cacheDir).toBe(expected);
});
