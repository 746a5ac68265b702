import { asGenerationError, type EngineError } from "../engine-errors.ts";
import type { Sequence } from "./sequence.ts";

/** Each row's answer to "which tokens next?": a mask, null (any token), or the error its constraint raised. */
export type RowMask = Uint32Array | null | EngineError;

/**
 * Asks every constrained row for its next mask now, before the forward pass, so a grammar that answers with a
 * promise works while the model runs. Returns null when no row is constrained (nothing to wait for).
 */
export function askMasks(rows: readonly Sequence[]): (RowMask | Promise<RowMask>)[] | null {
  if (!rows.some((s) => s.constrained)) return null;
  return rows.map((s) => {
    if (!s.constrained || s.finished || s.cancelled) return null;
    try {
      const answer = s.nextMask();
      return answer instanceof Promise ? answer.catch((err: unknown) => asGenerationError(err)) : answer;
    } catch (err) {
      return asGenerationError(err);
    }
  });
}

/** After the forward pass: every row's mask (or error), once the constraints that answered later have. */
export async function settleMasks(asked: (RowMask | Promise<RowMask>)[] | null, rows: number): Promise<RowMask[]> {
  if (asked === null) return new Array<RowMask>(rows).fill(null);
  return Promise.all(asked);
}
