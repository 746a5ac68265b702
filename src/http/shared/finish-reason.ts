import { Type } from "@sinclair/typebox";
import type { FinishReason } from "../../engine/generation/generation-types.ts";

/** Every finish_reason this server sends, in both endpoints (tool calling will add "tool_calls" here). */
export const WIRE_FINISH_REASONS = ["stop", "length"] as const;
export type WireFinishReason = (typeof WIRE_FINISH_REASONS)[number];

/** The wire field: why a choice ended, or null in a streamed chunk until it has. */
export const FinishReasonSchema = Type.Union([...WIRE_FINISH_REASONS.map((r) => Type.Literal(r)), Type.Null()]);

/** The engine's reason as the wire names it (the same words; a choice's own reason may override it, e.g. a tool call). */
export function wireFinishReason(reason: FinishReason | null): WireFinishReason {
  // A choice without a finish event ended with its request's events: it ran out of room.
  return reason ?? "length";
}
