import { readFileSync } from "node:fs";
import { SETTINGS, type AnySpec, type SettingKey, type Settings } from "./settings-spec.ts";

/** A bad setting: the message is one line naming the setting, printed as is at start. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface ParsedCommandLine {
  settings: Settings;
  /** Words that are not flags: a subcommand and its arguments (`pull MODEL…`). */
  positionals: string[];
  help: boolean;
  version: boolean;
}

const specs = SETTINGS as unknown as Record<SettingKey, AnySpec>;
const byFlag = new Map<string, SettingKey>(
  (Object.keys(specs) as SettingKey[]).map((k) => [specs[k].flag, k]),
);

function parseOne(key: SettingKey, raw: string, source: string): unknown {
  const s = specs[key];
  try {
    return s.parse(raw);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`invalid ${source}: ${reason}`);
  }
}

/**
 * Settings come from defaults, then the environment, then flags (last wins, repeatable flags append).
 * Nothing else in the server reads process.env for its own settings.
 */
export function loadSettings(argv: string[], env: Record<string, string | undefined>): ParsedCommandLine {
  // Flags first, as raw strings: a flag replaces the environment's value, so a bad variable that a flag
  // overrides is never parsed (and never stops the server).
  const fromFlags = new Map<SettingKey, { raw: string[]; source: string }>();
  const positionals: string[] = [];
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") { help = true; continue; }
    if (arg === "--version" || arg === "-v") { version = true; continue; }
    if (!arg.startsWith("--")) { positionals.push(arg); continue; }
    const eq = arg.indexOf("=");
    let name = eq >= 0 ? arg.slice(0, eq) : arg;
    let inline: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let negated = false;
    if (!byFlag.has(name) && name.startsWith("--no-") && byFlag.has(`--${name.slice(5)}`)) {
      name = `--${name.slice(5)}`;
      negated = true;
    }
    const key = byFlag.get(name);
    if (!key) throw new ConfigError(`unknown option ${name} (see --help)`);
    const s = specs[key];
    let raw: string;
    if (s.boolean && inline === undefined) {
      raw = negated ? "false" : "true";
    } else {
      if (negated) throw new ConfigError(`option ${name} takes a value; --no-${name.slice(2)} is only for on/off options`);
      if (inline === undefined) {
        const next = argv[i + 1];
        if (next === undefined) throw new ConfigError(`option ${name} needs a value`);
        inline = next;
        i++;
      }
      raw = inline;
    }
    const prev = fromFlags.get(key);
    // Repeatable flags append; any other flag given twice: the last wins.
    fromFlags.set(key, { raw: s.repeatable && prev ? [...prev.raw, raw] : [raw], source: `option ${name}` });
  }

  const values: Record<string, unknown> = {};
  for (const key of Object.keys(specs) as SettingKey[]) {
    const s = specs[key];
    const flag = fromFlags.get(key);
    if (flag) {
      const parsed = flag.raw.map((raw) => parseOne(key, raw, flag.source));
      values[key] = s.repeatable ? parsed.flat() : parsed[parsed.length - 1];
    } else {
      const raw = env[s.env];
      values[key] = raw === undefined ? structuredClone(s.default) : parseOne(key, raw, s.env);
    }
  }

  const settings = values as Settings;
  if (settings.apiKeysFile) settings.apiKeys = [...settings.apiKeys, ...readKeysFile(settings.apiKeysFile)];
  for (const origin of settings.corsAllowOrigins) {
    if (origin !== "*" && !/^https?:\/\/[^/\s]+$/i.test(origin)) {
      throw new ConfigError(`invalid CORS_ALLOW_ORIGINS: '${origin}' is not an origin like https://example.com (no path) or *`);
    }
  }
  if (!/^https?:\/\/[^\s]+$/i.test(settings.hfEndpoint)) {
    throw new ConfigError(`invalid HF_ENDPOINT: '${settings.hfEndpoint}' is not an http(s) URL`);
  }
  settings.hfEndpoint = settings.hfEndpoint.replace(/\/+$/, "");
  return { settings, positionals, help, version };
}

function readKeysFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`invalid API_KEYS_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const keys = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  if (keys.length === 0) throw new ConfigError(`invalid API_KEYS_FILE: ${path} holds no keys`);
  return keys;
}

/** `--help`: every setting with its flag, variable and default, from the same table. */
export function renderHelp(program: string): string {
  const lines = [
    `Usage: ${program} [options]            serve the OpenAI-compatible API`,
    `       ${program} pull MODEL...        download registry models ahead of time`,
    `       ${program} list                 show the registry and what is cached`,
    `       ${program} healthcheck          exit 0 if the server at HOST:PORT answers /healthz`,
    "",
    "Options (each also read from the environment variable shown):",
  ];
  for (const key of Object.keys(specs) as SettingKey[]) {
    const s = specs[key];
    const flag = s.boolean ? `${s.flag}[=BOOL]` : `${s.flag} VALUE`;
    const def = s.defaultLabel ?? JSON.stringify(s.default);
    lines.push(`  ${flag.padEnd(36)} ${s.env}`);
    lines.push(`      ${s.help} (default: ${def})`);
  }
  lines.push("  -h, --help                           show this help", "  -v, --version                        show version and commit");
  lines.push(
    "",
    "Exit codes: 0 clean exit (including after SIGTERM drain), 1 runtime failure, 2 bad settings or arguments, " +
      "3 the native libraries could not be unpacked or loaded.",
  );
  return lines.join("\n");
}
