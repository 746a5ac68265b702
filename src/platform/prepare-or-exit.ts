// The start-up face of the native set-up: `src/index.ts` calls this first, so a read-only or full cache folder
// stops the executable with one line before anything else happens. A no-op under `bun run`.
import { EXIT_NATIVE_SETUP } from "./exit-codes.ts";
import { NativeSetupError } from "./native-setup-error.ts";
import { prepareNativeLibraries } from "./native-setup.ts";

export function prepareNativeLibrariesOrExit(): string | null {
  try {
    return prepareNativeLibraries();
  } catch (error) {
    if (!(error instanceof NativeSetupError)) throw error;
    process.stderr.write(`gpt3dev-api: ${error.message}\n`);
    process.exit(EXIT_NATIVE_SETUP);
  }
}
