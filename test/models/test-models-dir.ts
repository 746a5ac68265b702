/** Where the preload (test/setup/test-models.ts) put the test models. */
import * as path from "node:path";
import { defaultTestModelsDir } from "../../scripts/make-test-models.ts";

export function testModelPath(name: string): string {
  return path.join(process.env.TEST_MODELS_DIR || defaultTestModelsDir(), name);
}
