import { expect, test } from "bun:test";
import { commandFor } from "../../src/platform/invocation.ts";

test("commands are named as this user types them: the executable's subcommands, or a checkout's scripts", () => {
  expect(commandFor("pull", true)).toBe("gpt3dev-api pull");
  expect(commandFor("list", true)).toBe("gpt3dev-api list");
  expect(commandFor("pull", false)).toBe("bun run pull");
  expect(commandFor("list", false)).toBe("bun run start -- list");
  // these tests run from source
  expect(commandFor("pull")).toBe("bun run pull");
});
