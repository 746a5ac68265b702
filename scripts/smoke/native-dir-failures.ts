// The executable's answer to an unusable native cache folder, checked for each way it can be unusable: a path
// through a file (always), and where a private mount namespace is allowed (root), a read-only and a full file
// system. Each must give exit code 3 and exactly one line on stderr that names the folder and the cause.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface NativeDirCase {
  label: string;
  /** Expected cause in the message. */
  cause: string;
  ok: boolean;
  detail: string;
}

function canUnshare(): boolean {
  return Bun.spawnSync(["unshare", "-m", "true"], { stderr: "ignore" }).exitCode === 0;
}

function judge(label: string, cause: string, dir: string, run: Bun.SyncSubprocess<"pipe", "pipe">): NativeDirCase {
  const lines = run.stderr.toString().trim().split("\n");
  const ok = run.exitCode === 3 && lines.length === 1 && lines[0]!.includes(`native libraries in ${dir}: ${cause}`);
  return { label, cause, ok, detail: ok ? lines[0]! : `exit ${run.exitCode}, stderr ${JSON.stringify(run.stderr.toString())}` };
}

export function checkNativeDirFailures(exe: string, args: string[], work: string, env: Record<string, string>): NativeDirCase[] {
  const results: NativeDirCase[] = [];
  writeFileSync(join(work, "a-file"), "");
  const throughFile = join(work, "a-file", "native");
  results.push(
    judge("path through a file", "a path component is not a folder", throughFile,
      Bun.spawnSync([exe, ...args], { cwd: work, env: { ...env, GPT3DEV_NATIVE_DIR: throughFile }, timeout: 30_000 })),
  );
  if (!canUnshare()) return results;
  for (const [label, options, cause] of [
    ["read-only file system", "ro,size=1m", "the file system is read-only"],
    ["full file system", "size=1m", "no space left on the device"],
  ] as const) {
    const mount = join(work, `mnt-${options.replace(/\W/g, "-")}`);
    mkdirSync(mount);
    const dir = join(mount, "native");
    const script = `mount -t tmpfs -o ${options} tmpfs "$1" && shift && exec "$@"`;
    const run = Bun.spawnSync(["unshare", "-m", "sh", "-c", script, "sh", mount, exe, ...args], {
      cwd: work,
      env: { ...env, GPT3DEV_NATIVE_DIR: dir },
      timeout: 30_000,
    });
    results.push(judge(label, cause, dir, run));
  }
  return results;
}
