import { ConfigError, loadSettings, renderHelp } from "./config/load-settings.ts";
import { versionLine } from "./platform/build-info.ts";
import { startServer } from "./server.ts";

/** Exit codes: 0 done, 1 runtime failure, 2 bad settings or arguments. */
export const EXIT_USAGE = 2;

/**
 * The command line: serve (default), `pull`, `list`, `--help`, `--version`. Returns an exit code for commands
 * that finish, or null while the server runs.
 */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number | null> {
  let parsed;
  try {
    parsed = loadSettings(argv, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gpt3dev-api: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(`${renderHelp("gpt3dev-api")}\n`);
    return 0;
  }
  if (parsed.version) {
    process.stdout.write(`${versionLine()}\n`);
    return 0;
  }
  const [command, ...rest] = parsed.positionals;
  try {
    switch (command) {
      case undefined:
      case "serve":
        await startServer(parsed.settings, env);
        return null;
      default:
        process.stderr.write(`gpt3dev-api: unknown command '${command}' (see --help)\n`);
        void rest;
        return EXIT_USAGE;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gpt3dev-api: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}
