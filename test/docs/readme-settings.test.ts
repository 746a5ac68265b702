import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SETTINGS } from "../../src/config/settings-spec.ts";

// The README is a newcomer's reference: every setting must be documented there, by variable and flag.
test("README documents every setting's variable and flag", () => {
  const readme = readFileSync(join(import.meta.dir, "../../README.md"), "utf8");
  const missing = Object.values(SETTINGS)
    .flatMap((s) => [s.env, s.flag])
    .filter((name) => !readme.includes(`\`${name}\``));
  expect(missing).toEqual([]);
});
