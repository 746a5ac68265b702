// onnxruntime 1.30 collects telemetry unless ORT_DISABLE_TELEMETRY=1 is in the C environment when its first session
// is created: it writes $TMPDIR/.ses, $TMPDIR/mat-debug-<pid>.log and ~/.cache/Microsoft/DeveloperTools/.onnxruntime/.
// transformers.js sets process.env.ORT_DISABLE_TELEMETRY, but Bun's process.env does not reach getenv(), so the
// variable is set through libc here, without overwriting: a value the user exported (even "0") is left alone.
import { dlopen, FFIType } from "bun:ffi";

const LIBC: Partial<Record<NodeJS.Platform, string>> = { linux: "libc.so.6", darwin: "libSystem.B.dylib" };

let done = false;

/** Call before the first onnxruntime session is created. */
export function disableOnnxruntimeTelemetry(): void {
  const libcName = LIBC[process.platform];
  if (done || libcName === undefined) return;
  done = true;
  const libc = dlopen(libcName, {
    setenv: { args: [FFIType.cstring, FFIType.cstring, FFIType.i32], returns: FFIType.i32 },
  });
  try {
    libc.symbols.setenv(Buffer.from("ORT_DISABLE_TELEMETRY\0"), Buffer.from("1\0"), 0); // 0: do not overwrite
  } finally {
    libc.close();
  }
}
