// Maps `sharp` (an image dependency of transformers.js whose native addon cannot be embedded) to a stub.
import type { BunPlugin } from "bun";
import { join } from "node:path";

export const sharpStubPlugin: BunPlugin = {
  name: "gpt3dev-sharp-stub",
  setup(build) {
    build.onResolve({ filter: /^sharp$/ }, () => ({ path: join(import.meta.dir, "sharp-stub.ts") }));
  },
};
