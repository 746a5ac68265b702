/**
 * The tool-call syntax a model was trained on, read from its chat template (and special tokens). `default` is our
 * own documented format for templates that know no tools: Hermes-style `<tool_call>` tags taught by a system block.
 */
export type ToolFamily = "hermes" | "llama3" | "mistral" | "default";

export function toolFamily(template: string | null, specialTokens: readonly string[] = []): ToolFamily {
  const t = template ?? "";
  if (t.includes("<tool_call>")) return "hermes";
  if (t.includes("[TOOL_CALLS]") || specialTokens.includes("[TOOL_CALLS]")) return "mistral";
  if (t.includes("<|python_tag|>") || (t.includes("<|eot_id|>") && /tools|tool_calls/.test(t))) return "llama3";
  return "default";
}

/** Whether the template renders `tools` and tool-call history itself (else we render them: tool-prompt.ts). */
export function templateTakesTools(template: string | null): boolean {
  return template !== null && /\btools\b/.test(template) && /tool_calls|tool_call\b|message\.role\s*==\s*["']tool["']|["']ipython["']/.test(template);
}
