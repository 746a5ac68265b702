// Version and commit of this program. `scripts/build.ts` defines the two constants for the executable;
// under `bun run` they are absent and the version comes from package.json, the commit reads "dev".
import packageJson from "../../package.json" with { type: "json" };

declare const GPT3DEV_BUILD_VERSION: string | undefined;
declare const GPT3DEV_BUILD_COMMIT: string | undefined;

export const programVersion: string =
  typeof GPT3DEV_BUILD_VERSION === "string" ? GPT3DEV_BUILD_VERSION : packageJson.version;

export const programCommit: string = typeof GPT3DEV_BUILD_COMMIT === "string" ? GPT3DEV_BUILD_COMMIT : "dev";

/** One line for `--version`, e.g. `gpt3dev-api 0.1.0 (commit 400baab)`. */
export function versionLine(): string {
  return `gpt3dev-api ${programVersion} (commit ${programCommit})`;
}
