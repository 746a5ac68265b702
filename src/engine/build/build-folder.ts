/**
 * Where builds live and how one is put in place. Every build goes under `{cacheDir}/builds/` — never into a
 * user's folder — in a folder named after its source (hub repo and revision, or a local path's name and a hash of
 * the absolute path), dtype and, for GGUF, the file. A build is written into a temporary sibling and renamed into
 * place whole, so a reader (this process or another) sees a complete build or none; two processes building the
 * same thing both finish and one result is kept.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { ModelSpec } from "../../registry/registry-entry.ts";
import { sameIdentity, type BuildIdentity } from "./build-identity.ts";
import { readBuildRecord, type BuildRecord } from "./build-record.ts";

/** Temporary folders of builds whose process is gone, or this old whatever their process, are removed. */
const ABANDONED_AFTER_MS = 24 * 3600_000;

export function buildsRoot(cacheDir: string): string {
  return join(cacheDir, "builds");
}

/** `variant` tells apart several builds of one source (the GGUF file of a repo that holds many). */
export function buildDirFor(cacheDir: string, spec: Pick<ModelSpec, "source" | "dtype">, variant: string | null = null): string {
  const s = spec.source;
  const base = s.kind === "hub" ? `${s.repo.split("/").join("--")}@${s.revision}` : `local-${basename(s.path)}-${shortHash(s.path)}`;
  const name = [base, spec.dtype, variant].filter((p): p is string => p !== null).map(safe).join("-");
  return join(buildsRoot(cacheDir), name);
}

/** A fresh temporary folder beside `dir` for one build, after clearing abandoned ones. */
export async function temporaryBuildDir(dir: string): Promise<string> {
  await mkdir(dirname(dir), { recursive: true });
  removeAbandoned(dir);
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  await mkdir(tmp);
  return tmp;
}

/**
 * Moves the finished build `tmp` to `dir`. When `dir` already holds a build of the same identity (another process
 * finished first) that one is kept and `tmp` removed; a build of another identity is replaced.
 */
export async function publishBuild(tmp: string, dir: string, identity: BuildIdentity, ours: BuildRecord): Promise<BuildRecord> {
  for (let attempt = 0; ; attempt++) {
    const existing = readBuildRecord(dir);
    if (existing && sameIdentity(existing.identity, identity)) {
      await rm(tmp, { recursive: true, force: true });
      return existing;
    }
    const old = existsSync(dir) ? `${dir}.old-${process.pid}-${Math.random().toString(36).slice(2, 10)}` : null;
    if (old) await rename(dir, old).catch(ignoreMissing);
    try {
      await rename(tmp, dir);
      if (old) await rm(old, { recursive: true, force: true });
      return ours;
    } catch (err) {
      if (old) await rm(old, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      // Another process renamed its build in between: look again.
      if ((code === "ENOTEMPTY" || code === "EEXIST") && attempt < 5) continue;
      throw err;
    }
  }
}

function removeAbandoned(dir: string): void {
  const parent = dirname(dir);
  const prefix = `${basename(dir)}.`;
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^\.(?:tmp|old)-(\d+)-/.exec(name.slice(prefix.length - 1));
    if (!name.startsWith(prefix) || !m) continue;
    const path = join(parent, name);
    try {
      if (!alive(Number(m[1])) || Date.now() - statSync(path).mtimeMs > ABANDONED_AFTER_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // gone already
    }
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
}

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 12);
}

/** One path segment of plain characters, short enough for any file system. */
function safe(part: string): string {
  const cleaned = part.replace(/[^A-Za-z0-9._@-]+/g, "_").replace(/^\.+/, "_");
  return cleaned.length > 120 ? `${cleaned.slice(0, 100)}-${shortHash(part)}` : cleaned;
}
