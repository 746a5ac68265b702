/**
 * bun test preload: makes sure the random-weight test models exist (a few ms when they are current, about a
 * second on a fresh clone) and tells every test where they are through TEST_MODELS_DIR.
 */
import { ensureTestModels } from "../../scripts/make-test-models.ts";
import { disableOnnxruntimeTelemetry } from "../../src/platform/ort-telemetry.ts";

// In-process onnxruntime sessions (model tests) would otherwise leave telemetry files in $TMPDIR.
disableOnnxruntimeTelemetry();

const { dir } = await ensureTestModels();
process.env.TEST_MODELS_DIR = dir;
