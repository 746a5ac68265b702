// How the user starts this program, for messages that tell them a command to type: the executable's own
// subcommands, or the package scripts of a source checkout (`bun run pull`, `bun run start -- list`).
import { hasEmbeddedNativeLibraries } from "./native-setup.ts";

export type Subcommand = "pull" | "list";

/** `gpt3dev-api pull` as the executable, `bun run pull` from source (`compiled` defaults to this process). */
export function commandFor(sub: Subcommand, compiled: boolean = hasEmbeddedNativeLibraries()): string {
  if (compiled) return `gpt3dev-api ${sub}`;
  return sub === "pull" ? "bun run pull" : `bun run start -- ${sub}`;
}
