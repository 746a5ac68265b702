import { ValueErrorType, type ValueError } from "@sinclair/typebox/value";
import { jsonPointerToParam } from "./json-pointer.ts";

/**
 * TypeBox reports a failed union (every nullable field is one: `T | null`) as "Expected union value", which
 * tells a client nothing. This digs into the branches: with the `null` branch set aside, a single remaining
 * branch gives its own reason ("expected integer to be less or equal to 5"); several give their expectations
 * joined ("expected string or array").
 */
export function explainValidationError(e: ValueError): string {
  if (e.type !== ValueErrorType.Union || e.errors.length === 0) return e.message;
  const branches = e.errors.map((it) => it.First()).filter((b): b is ValueError => b !== undefined && b.type !== ValueErrorType.Null);
  if (branches.length === 1) {
    const b = branches[0]!;
    const reason = explainValidationError(b);
    return b.path !== e.path ? `${reason} at '${jsonPointerToParam(b.path)}'` : reason;
  }
  const expected = [...new Set(branches.map((b) => explainValidationError(b).replace(/^Expected /i, "")))];
  return expected.length > 0 ? `Expected ${expected.join(" or ")}` : e.message;
}
