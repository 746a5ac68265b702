/**
 * A per-sequence rule on which token may come next: structured output (a JSON schema, a tool call) plugs in
 * here. The sampler applies the mask before bias, penalties, temperature, top-k, top-p and min-p, so sampling
 * only ever sees allowed tokens; log-probabilities still report the model's own distribution.
 */
export interface TokenConstraint {
  /**
   * The tokens allowed next, as a bitmask (bit `id & 31` of word `id >> 5`), or null when any token is allowed.
   * May be a promise (the grammar engine may run off the JS thread): the batch loop asks every constrained row
   * before the forward pass and awaits the answers after it, so the grammar's work overlaps the model's.
   */
  nextMask(): Uint32Array | null | Promise<Uint32Array | null>;
  /** The token the sequence took (always one the last mask allowed). */
  accept(id: number): void;
  /** Called once when the sequence ends for any reason; frees what the engine holds for it. */
  dispose(): void;
}
