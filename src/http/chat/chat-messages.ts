import type { TemplateRole } from "../../engine/tokenizer/text-tokenizer.ts";
import type { ToolHistoryMessage } from "../../engine/tools/tool-prompt.ts";
import { invalidRequest } from "../shared/api-error.ts";
import { CHAT_ROLES, type ChatRole } from "./chat-schema.ts";

function isChatRole(role: string): role is ChatRole {
  return (CHAT_ROLES as readonly string[]).includes(role);
}

/**
 * OpenAI messages → the conversation a chat template renders. `developer` is a system message; text parts are
 * joined; any other part type is refused by name, never dropped. An assistant turn's `tool_calls` and a tool
 * message's `tool_call_id` are kept (checked field by field) for the tools' rendering (tool-prompt.ts).
 */
export function templateMessages(messages: unknown[]): ToolHistoryMessage[] {
  if (messages.length === 0) throw invalidRequest("'messages' must contain at least one message.", "messages", "invalid_value");
  return messages.map((raw, i) => {
    const at = `messages[${i}]`;
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw invalidRequest(`${at} must be an object with 'role' and 'content'.`, at);
    const m = raw as Record<string, unknown>;
    if (typeof m.role !== "string") throw invalidRequest(`${at}.role is required and must be a string.`, `${at}.role`);
    const role = m.role;
    if (!isChatRole(role)) throw invalidRequest(`${at}.role '${role.slice(0, 40)}' is not one of ${CHAT_ROLES.join(", ")}.`, `${at}.role`);
    const content = contentText(m.content, role, at);
    const out: ToolHistoryMessage = { role: templateRole(role), content };
    if (m.name !== undefined && m.name !== null) {
      if (typeof m.name !== "string") throw invalidRequest(`${at}.name must be a string.`, `${at}.name`);
      out.name = m.name;
    }
    if (m.tool_calls !== undefined && m.tool_calls !== null) {
      if (role !== "assistant") throw invalidRequest(`${at}.tool_calls: only assistant messages carry tool calls.`, `${at}.tool_calls`);
      const calls = toolCalls(m.tool_calls, `${at}.tool_calls`);
      if (calls.length > 0) out.tool_calls = calls;
    }
    if (role === "tool") {
      if (typeof m.tool_call_id !== "string") throw invalidRequest(`${at}.tool_call_id is required for a tool message and must be a string.`, `${at}.tool_call_id`);
      out.tool_call_id = m.tool_call_id;
    }
    return out;
  });
}

/** An assistant turn's calls: `[{id, type: "function", function: {name, arguments}}]`, arguments as JSON text. */
function toolCalls(raw: unknown, at: string): NonNullable<ToolHistoryMessage["tool_calls"]> {
  if (!Array.isArray(raw)) throw invalidRequest(`${at} must be an array of tool calls.`, at);
  return raw.map((c, j) => {
    const p = `${at}[${j}]`;
    if (!c || typeof c !== "object" || Array.isArray(c)) throw invalidRequest(`${p} must be an object like {"id": …, "type": "function", "function": {"name": …, "arguments": …}}.`, p);
    const call = c as Record<string, unknown>;
    if (typeof call.id !== "string") throw invalidRequest(`${p}.id is required and must be a string.`, `${p}.id`);
    if (call.type !== "function") throw invalidRequest(`${p}.type must be 'function'.`, `${p}.type`);
    const fn = call.function as Record<string, unknown> | null | undefined;
    if (!fn || typeof fn !== "object" || Array.isArray(fn)) throw invalidRequest(`${p}.function must be an object with 'name' and 'arguments'.`, `${p}.function`);
    if (typeof fn.name !== "string") throw invalidRequest(`${p}.function.name is required and must be a string.`, `${p}.function.name`);
    if (typeof fn.arguments !== "string") throw invalidRequest(`${p}.function.arguments is required and must be a string (the arguments as JSON).`, `${p}.function.arguments`);
    return { id: call.id, name: fn.name, arguments: fn.arguments };
  });
}

function contentText(content: unknown, role: ChatRole, at: string): string {
  if (typeof content === "string") return content;
  // An assistant turn that only called tools has null content.
  if ((content === null || content === undefined) && role === "assistant") return "";
  if (content === null || content === undefined) throw invalidRequest(`${at}.content is required.`, `${at}.content`);
  if (!Array.isArray(content)) throw invalidRequest(`${at}.content must be a string or an array of content parts.`, `${at}.content`);
  const texts: string[] = [];
  content.forEach((part, j) => {
    const p = `${at}.content[${j}]`;
    if (!part || typeof part !== "object") throw invalidRequest(`${p} must be an object like {"type": "text", "text": "..."}.`, p);
    const { type, text } = part as { type?: unknown; text?: unknown };
    if (type !== "text") {
      throw invalidRequest(`${p}: content parts of type '${String(type).slice(0, 40)}' are not supported by this model; only 'text' parts are.`, `${p}.type`, "unsupported_content_type");
    }
    if (typeof text !== "string") throw invalidRequest(`${p}.text must be a string.`, `${p}.text`);
    texts.push(text);
  });
  return joinTextParts(texts);
}

/** A request role as the chat template sees it: `developer` is a system message. */
export function templateRole(role: ChatRole | "developer"): TemplateRole {
  return role === "developer" ? "system" : role;
}

/** A message's text parts as one content string (how every endpoint joins them, so prompts agree). */
export function joinTextParts(texts: readonly string[]): string {
  return texts.join("\n");
}
