import type { ChatMessageForTemplate, TemplateRole } from "../tokenizer/text-tokenizer.ts";
import type { ToolRequest } from "./tool-definitions.ts";
import { templateTakesTools } from "./tool-family.ts";

/** A conversation turn as the chat handler hands it over: OpenAI's roles, calls and results, already checked. */
export interface ToolHistoryMessage {
  role: TemplateRole;
  content: string;
  name?: string;
  tool_calls?: { id: string; name: string; arguments: string }[];
  tool_call_id?: string;
}

/** What to pass to the chat template: messages in its conventions, and `tools` when it renders them itself. */
export interface ToolRendering {
  messages: ChatMessageForTemplate[];
  tools: object[] | null;
}

/**
 * Puts tools and tool-call history into the prompt. A template that takes `tools` (Hermes/Qwen, Llama 3, Mistral
 * HF templates) gets the OpenAI function definitions and Hugging Face-style history (calls with object arguments,
 * `tool` messages with their call id). Any other template gets our documented default format (README: Tools): a
 * system block listing the tools as JSON and asking for `<tool_call>{"name": …, "arguments": …}</tool_call>`, past
 * calls written that way in the assistant turns, and results as `<tool_response>` in a user turn.
 * With tool_choice "none" (or no tools) the definitions are left out: the model is not told it may call anything.
 */
export function renderTools(template: string | null, history: ToolHistoryMessage[], tools: ToolRequest | null): ToolRendering {
  const offer = tools !== null && tools.choice.kind !== "none" && tools.functions.length > 0;
  if (templateTakesTools(template)) {
    return {
      messages: history.map(hfMessage(history)),
      tools: offer ? tools!.functions.map((f) => ({ type: "function", function: { name: f.name, ...(f.description ? { description: f.description } : {}), parameters: f.parameters } })) : null,
    };
  }
  const messages = defaultHistory(history);
  if (offer) {
    const block = defaultToolBlock(tools!);
    const first = messages[0];
    if (first?.role === "system") messages[0] = { ...first, content: `${first.content}\n\n${block}` };
    else messages.unshift({ role: "system", content: block });
  }
  return { messages, tools: null };
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function hfMessage(history: ToolHistoryMessage[]) {
  return (m: ToolHistoryMessage): ChatMessageForTemplate => {
    const out: ChatMessageForTemplate = { role: m.role, content: m.content };
    if (m.name !== undefined) out.name = m.name;
    if (m.tool_calls && m.tool_calls.length > 0) {
      out.tool_calls = m.tool_calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: parseArguments(c.arguments) } }));
    }
    if (m.role === "tool" && m.tool_call_id !== undefined) {
      out.tool_call_id = m.tool_call_id;
      // Templates that print the function's name find it on the message, as transformers' examples put it.
      const call = history.flatMap((h) => h.tool_calls ?? []).find((c) => c.id === m.tool_call_id);
      if (call && out.name === undefined) out.name = call.name;
    }
    return out;
  };
}

/** Our default prompt format for tools (documented in the README). */
export function defaultToolBlock(tools: ToolRequest): string {
  const list = tools.functions
    .map((f) => JSON.stringify({ type: "function", function: { name: f.name, ...(f.description ? { description: f.description } : {}), parameters: f.parameters } }))
    .join("\n");
  const must =
    tools.choice.kind === "function" ? `\nYou must call the function "${tools.choice.name}".`
    : tools.choice.kind === "required" ? "\nYou must call at least one function."
    : "";
  const many = tools.parallel ? "one or more functions" : "at most one function per reply";
  return (
    `# Tools\n\nYou may call ${many} to help with the request. The functions, as JSON:\n<tools>\n${list}\n</tools>\n\n` +
    `To call a function, reply with a JSON object inside <tool_call></tool_call> tags, one per call:\n` +
    `<tool_call>\n{"name": "<function name>", "arguments": <arguments as a JSON object>}\n</tool_call>\n` +
    `Results come back inside <tool_response></tool_response> tags.${must}`
  );
}

function defaultHistory(history: ToolHistoryMessage[]): ChatMessageForTemplate[] {
  const out: ChatMessageForTemplate[] = [];
  for (const m of history) {
    if (m.role === "tool") {
      const call = history.flatMap((h) => h.tool_calls ?? []).find((c) => c.id === m.tool_call_id);
      const response = `<tool_response>\n${JSON.stringify({ name: call?.name ?? m.name ?? null, content: m.content })}\n</tool_response>`;
      const last = out[out.length - 1];
      // Consecutive results share one user turn, so templates that insist on alternating roles accept them.
      if (last?.role === "user" && last.content.startsWith("<tool_response>")) last.content += `\n${response}`;
      else out.push({ role: "user", content: response });
      continue;
    }
    if (m.tool_calls && m.tool_calls.length > 0) {
      const calls = m.tool_calls.map((c) => `<tool_call>\n${JSON.stringify({ name: c.name, arguments: parseArguments(c.arguments) })}\n</tool_call>`).join("\n");
      out.push({ role: m.role, content: m.content ? `${m.content}\n${calls}` : calls });
      continue;
    }
    out.push({ role: m.role, content: m.content, ...(m.name !== undefined ? { name: m.name } : {}) });
  }
  return out;
}
