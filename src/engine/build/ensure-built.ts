/**
 * A build in the cache, made once: reused when its record matches the identity of what it would be built from,
 * otherwise built (concurrent callers in this process share one build and its progress) and put in place whole.
 */
import { rm } from "node:fs/promises";
import type { BuildProgress } from "../../convert/build-decoder.ts";
import { SharedRuns } from "../hub/shared-runs.ts";
import type { ModelAbout } from "../model-about.ts";
import { publishBuild, temporaryBuildDir } from "./build-folder.ts";
import { sameIdentity, type BuildIdentity } from "./build-identity.ts";
import { BuildMeter } from "./build-meter.ts";
import { readBuildRecord, writeBuildRecord, type BuildRecord } from "./build-record.ts";

export interface BuildJob {
  /** For log lines: the model id. */
  label: string;
  /** What is built, for the log: "safetensors checkpoint /models/x". */
  what: string;
  /** The build folder (build-folder.ts buildDirFor). */
  dir: string;
  identity: BuildIdentity;
  /** Writes the build into `out` (an empty folder) and says what the model is and which files it wrote. */
  produce(out: string, onProgress: (p: BuildProgress) => void): Promise<{ about: ModelAbout; outputs: string[] }>;
}

export interface BuildListeners {
  onProgress?: (p: BuildProgress) => void;
  log?: (line: string) => void;
}

const builds = new SharedRuns<BuildRecord, BuildProgress>();

export function cachedBuild(job: Pick<BuildJob, "dir" | "identity">): BuildRecord | null {
  const record = readBuildRecord(job.dir);
  return record && sameIdentity(record.identity, job.identity) ? record : null;
}

export async function ensureBuilt(job: BuildJob, listeners: BuildListeners = {}): Promise<BuildRecord> {
  const cached = cachedBuild(job);
  if (cached) return cached;
  return builds.run(job.dir, listeners.onProgress, (emit) => build(job, emit, listeners.log ?? stderrLine));
}

async function build(job: BuildJob, emit: (p: BuildProgress) => void, log: (line: string) => void): Promise<BuildRecord> {
  const cached = cachedBuild(job); // another caller may have finished while this one waited
  if (cached) return cached;
  log(`build: ${job.label}: building a graph from the ${job.what} into ${job.dir}`);
  const meter = new BuildMeter(job.label, emit, log);
  emit({ tensorsDone: 0, tensorsTotal: 0, bytesDone: 0, bytesTotal: 0 });
  const tmp = await temporaryBuildDir(job.dir);
  try {
    const { about, outputs } = await job.produce(tmp, (p) => meter.update(p));
    const seconds = meter.seconds();
    const finished: ModelAbout = { ...about, build: about.build && { ...about.build, seconds: Math.round(seconds * 10) / 10 } };
    const record = await writeBuildRecord(tmp, { identity: job.identity, about: finished }, outputs);
    const kept = await publishBuild(tmp, job.dir, job.identity, record);
    const params = about.parameters === null ? "" : ` (${about.parameters.toLocaleString("en-US")} parameters)`;
    log(`build: ${job.label}: built ${about.architecture ?? "the model"}${params} in ${seconds.toFixed(1)} s`);
    return kept;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
}

function stderrLine(line: string): void {
  process.stderr.write(`${line}\n`);
}
