import type { Settings } from "../../config/settings-spec.ts";
import { commandFor } from "../../platform/invocation.ts";
import { modelCacheDir } from "./model-cache-dir.ts";
import type { HubSettings } from "./hub-types.ts";

/** The hub part of the settings, with the cache folder resolved (MODEL_CACHE_DIR, HF_HOME, XDG_CACHE_HOME). */
export function hubSettings(settings: Settings, env: Record<string, string | undefined>): HubSettings {
  return {
    endpoint: settings.hfEndpoint,
    token: settings.hfToken,
    offline: settings.hfOffline,
    cacheDir: modelCacheDir(settings, env),
    pullCommand: commandFor("pull"),
  };
}
