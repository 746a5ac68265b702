import { Type } from "@sinclair/typebox";
import type { FinishReason } from "../../engine/generation/generation-types.ts";

/** Every finish_reason this server sends, in every endpoint ("tool_calls" only from chat with tools). */
export const WIRE_FINISH_REASONS = ["stop", "length", "tool_calls"] as const;
export type WireFinishReason = (typeof WIRE_FINISH_REASONS)[number];

/** The wire field: why a choice ended, or null in a streamed chunk until it has. */
export const FinishReasonSchema = Type.Union([...WIRE_FINISH_REASONS.map((r) => Type.Literal(r)), Type.Null()]);

/**
 * The engine's reason as the wire names it. A choice that stopped after making tool calls says `callsReason`
 * instead (OpenAI: "tool_calls" under auto or required, "stop" for a forced named function); a call cut off by
 * max_tokens stays "length".
 */
export function wireFinishReason(reason: FinishReason | null, callsReason: WireFinishReason | null = null): WireFinishReason {
  // A choice without a finish event ended with its request's events: it ran out of room.
  const r = reason ?? "length";
  return r === "stop" && callsReason !== null ? callsReason : r;
}
