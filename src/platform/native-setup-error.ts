// The one error the native set-up raises: its message is the single line printed before exiting.
import { NATIVE_DIR_ENV } from "./native-cache-dir.ts";

export class NativeSetupError extends Error {
  override readonly name = "NativeSetupError";
  constructor(
    message: string,
    readonly dir: string,
  ) {
    super(message);
  }
}

const REASONS: Record<string, string> = {
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  ENOTDIR: "a path component is not a folder",
  EEXIST: "a file stands where a folder should be",
};

/** Turns a file-system error into one line that names the folder, the cause and the way out. */
export function nativeSetupErrorFrom(error: unknown, dir: string, action: string): NativeSetupError {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  const reason = REASONS[code] ?? (error instanceof Error ? error.message : String(error));
  return new NativeSetupError(
    `cannot ${action} native libraries in ${dir}: ${reason}${code ? ` (${code})` : ""}; ` +
      `set ${NATIVE_DIR_ENV} to a writable folder with about 50 MB free`,
    dir,
  );
}
