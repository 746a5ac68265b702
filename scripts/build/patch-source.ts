// Exact-text source patches for dependencies: a patch whose text is not found exactly once fails the build,
// naming the file and the pinned version it was written for, so a dependency upgrade cannot silently skip it.
export interface SourcePatch {
  /** Which package and version the `find` text was read from. */
  writtenFor: string;
  find: string;
  replace: string;
}

export class PatchPointMovedError extends Error {
  override readonly name = "PatchPointMovedError";
}

export function applyPatch(source: string, file: string, patch: SourcePatch): string {
  const count = source.split(patch.find).length - 1;
  if (count !== 1) {
    throw new PatchPointMovedError(
      `build: patch point moved in ${file}: expected the text ${JSON.stringify(patch.find)} exactly once, ` +
        `found it ${count} times. The patch was written for ${patch.writtenFor}; check the installed version ` +
        `and update scripts/build/ to match.`,
    );
  }
  return source.replace(patch.find, () => patch.replace);
}
