// The start-up face of the native set-up: `src/index.ts` calls this first, so a read-only or full cache folder
// stops the executable with one line before anything else happens. Under `bun run` nothing is extracted; in both
// modes onnxruntime's telemetry is switched off before any session exists.
import { EXIT_NATIVE_SETUP } from "./exit-codes.ts";
import { NativeSetupError } from "./native-setup-error.ts";
import { prepareNativeLibraries } from "./native-setup.ts";
import { disableOnnxruntimeTelemetry } from "./ort-telemetry.ts";

export function prepareNativeLibrariesOrExit(): string | null {
  disableOnnxruntimeTelemetry();
  try {
    return prepareNativeLibraries();
  } catch (error) {
    if (!(error instanceof NativeSetupError)) throw error;
    process.stderr.write(`gpt3dev-api: ${error.message}\n`);
    process.exit(EXIT_NATIVE_SETUP);
  }
}
