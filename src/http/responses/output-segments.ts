import type { GeneratedToken } from "../../engine/generation/generation-types.ts";
import type { ToolParseEvent } from "../../engine/tools/tool-call-parser.ts";

/**
 * What the model's generated text becomes in a response's `output`, piece by piece: message text, or the parts
 * of a function call (a call starts with its call id and name, its JSON arguments arrive in fragments, then it
 * ends — explicitly, or when the next item starts or the response ends).
 */
export type OutputSegment =
  | { kind: "text"; text: string; tokens: GeneratedToken[] }
  | { kind: "call_start"; name: string; callId?: string }
  | { kind: "call_arguments"; text: string }
  | { kind: "call_end" };

/**
 * Turns one update's parts (the request's ChoiceAccumulator has read the text for tool calls, as chat's does)
 * into segments. The update's tokens go with its first text; without tools, a token whose text is still held
 * back (a partial character) is an empty text segment, so its logprobs are not lost.
 */
export interface OutputSegmenter {
  push(parts: readonly ToolParseEvent[], tokens: GeneratedToken[]): OutputSegment[];
}

export function plainText(): OutputSegmenter {
  return {
    push: (parts, tokens) => {
      const text = parts.map((p) => (p.type === "content" ? p.text : "")).join("");
      return text === "" && tokens.length === 0 ? [] : [{ kind: "text", text, tokens }];
    },
  };
}

export function functionCalls(): OutputSegmenter {
  return {
    push: (parts, tokens) => {
      let unassigned = tokens;
      return parts.map((p): OutputSegment => {
        if (p.type === "call") return { kind: "call_start", name: p.name, callId: p.id };
        if (p.type === "arguments") return { kind: "call_arguments", text: p.text };
        const segment = { kind: "text" as const, text: p.text, tokens: unassigned };
        unassigned = [];
        return segment;
      });
    },
  };
}
