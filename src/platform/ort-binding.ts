// Loads onnxruntime-node's native binding from the extraction folder. The build rewrites onnxruntime-node's
// `dist/binding.js` to call this instead of requiring the binding beside itself (which, in the executable, would
// be inside its virtual file system where the binding's libonnxruntime.so.1 cannot be found). The binding's RUNPATH
// `$ORIGIN` finds the library extracted next to it, and nothing is executed from $TMPDIR.
import { join } from "node:path";
import { EXIT_NATIVE_SETUP } from "./exit-codes.ts";
import { embeddedNativeAssets } from "./native-assets.ts";
import { disableOnnxruntimeTelemetry } from "./ort-telemetry.ts";
import { prepareNativeLibrariesOrExit } from "./prepare-or-exit.ts";

/** Returns the binding's exports; on an unusable cache folder prints one line and exits with EXIT_NATIVE_SETUP. */
export function loadOrtBinding(): unknown {
  const assets = embeddedNativeAssets;
  if (assets === null) throw new Error("loadOrtBinding() is only for the compiled executable");
  const dir = prepareNativeLibrariesOrExit() ?? "";
  disableOnnxruntimeTelemetry();
  const module = { exports: {} as unknown };
  try {
    process.dlopen(module, join(dir, assets.bindingName));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`gpt3dev-api: cannot load the onnxruntime binding from ${dir}: ${reason}\n`);
    process.exit(EXIT_NATIVE_SETUP);
  }
  return module.exports;
}
