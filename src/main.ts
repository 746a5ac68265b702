import { ConfigError, loadSettings, renderHelp } from "./config/load-settings.ts";
import { runList } from "./cli/list-command.ts";
import { runPull } from "./cli/pull-command.ts";
import { versionLine } from "./platform/build-info.ts";
import { runHealthcheck } from "./platform/healthcheck.ts";

/** Exit codes: 0 done, 1 runtime failure, 2 bad settings or arguments (3, native libraries, is src/platform/exit-codes.ts). */
export const EXIT_USAGE = 2;

function usage(message: string): number {
  process.stderr.write(`gpt3dev-api: ${message}\n`);
  return EXIT_USAGE;
}

/**
 * The command line: serve (default), `pull`, `list`, `healthcheck`, `--help`, `--version`. Returns an exit code for commands
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
      case "serve": {
        // Loaded only to serve: the engine (onnxruntime, transformers.js) is not needed by the other commands.
        const { startServer } = await import("./server.ts");
        await startServer(parsed.settings, env);
        return null;
      }
      case "pull":
        return await runPull(rest, parsed.settings, env);
      case "list":
        if (rest.length > 0) return usage("list takes no arguments");
        return await runList(parsed.settings, env);
      case "healthcheck":
        if (rest.length > 0) return usage("healthcheck takes no arguments");
        return await runHealthcheck(parsed.settings.host, parsed.settings.port);
      default:
        return usage(`unknown command '${command}' (see --help)`);
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gpt3dev-api: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}
