// Entry point. The embedded native libraries (in the compiled executable) must be in place before anything
// imports onnxruntime-node, so the rest of the program is loaded only after that step.
import { prepareNativeLibrariesOrExit } from "./platform/prepare-or-exit.ts";

prepareNativeLibrariesOrExit();
const { main } = await import("./main.ts");
const code = await main(process.argv.slice(2), process.env);
if (code !== null) process.exit(code);
