/** Helpers for the converter's tests: scratch folders, copies of factory checkpoints, ConvertError assertions. */
import { expect } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConvertError, type ConvertErrorCode } from "../../src/convert/convert-error.ts";
import { testModelPath } from "../models/test-models-dir.ts";

export function scratchDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

/** A copy of a factory checkpoint (its folder's files) under `dir/name`, to be edited by a test. */
export function copyCheckpoint(name: string, dir: string, as = name): string {
  const target = path.join(dir, as);
  fs.cpSync(testModelPath(name), target, { recursive: true });
  return target;
}

export function editJson(file: string, edit: (json: Record<string, unknown>) => void): void {
  const json = JSON.parse(fs.readFileSync(file, "utf8"));
  edit(json);
  fs.writeFileSync(file, JSON.stringify(json));
}

/** `run` fails with a ConvertError of `code`, naming `file`, with a message matching `message`. */
export async function expectConvertError(
  run: () => Promise<unknown> | unknown,
  expected: { code: ConvertErrorCode; file?: string | null; message: RegExp },
): Promise<ConvertError> {
  let caught: unknown;
  try {
    await run();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConvertError);
  const e = caught as ConvertError;
  expect(e.message).toMatch(expected.message);
  expect(e.code).toBe(expected.code);
  if (expected.file !== undefined) expect(e.file).toBe(expected.file);
  return e;
}
