import type { ChatMessageForTemplate, TemplateRole } from "../../engine/tokenizer/text-tokenizer.ts";
import { invalidRequest } from "../shared/api-error.ts";
import { CHAT_ROLES, type ChatRole } from "./chat-schema.ts";

function isChatRole(role: string): role is ChatRole {
  return (CHAT_ROLES as readonly string[]).includes(role);
}

/**
 * OpenAI messages → what a chat template renders. `developer` is a system message; text parts are joined;
 * any other part type is refused by name, never dropped.
 */
export function templateMessages(messages: unknown[]): ChatMessageForTemplate[] {
  if (messages.length === 0) throw invalidRequest("'messages' must contain at least one message.", "messages", "invalid_value");
  return messages.map((raw, i) => {
    const at = `messages[${i}]`;
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw invalidRequest(`${at} must be an object with 'role' and 'content'.`, at);
    const m = raw as Record<string, unknown>;
    if (typeof m.role !== "string") throw invalidRequest(`${at}.role is required and must be a string.`, `${at}.role`);
    const role = m.role;
    if (!isChatRole(role)) throw invalidRequest(`${at}.role '${role.slice(0, 40)}' is not one of ${CHAT_ROLES.join(", ")}.`, `${at}.role`);
    const content = contentText(m.content, role, at);
    const out: ChatMessageForTemplate = { role: templateRole(role), content };
    if (m.name !== undefined && m.name !== null) {
      if (typeof m.name !== "string") throw invalidRequest(`${at}.name must be a string.`, `${at}.name`);
      out.name = m.name;
    }
    if (m.tool_calls !== undefined && m.tool_calls !== null && !(Array.isArray(m.tool_calls) && m.tool_calls.length === 0)) {
      throw invalidRequest(`${at}.tool_calls: tool calling is not supported yet by this server.`, `${at}.tool_calls`, "unsupported_parameter");
    }
    return out;
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
